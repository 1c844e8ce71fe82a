/** What callers ask of the services, field by field as the API names the fields. */
/** The fields of a create request, as the API and the create form name them (vmango 0.6's names). */
export const CREATE_FIELDS = ['Name', 'Plan', 'Image', 'Provider', 'Userdata', 'SSHKey'] as const;
export type CreateField = (typeof CREATE_FIELDS)[number];

/** The machine list's filters, as the API's query names them. */
export type ListField = 'provider' | 'state' | 'q' | 'tag';

/** The fields of a change to a machine's properties (PATCH /api/machines/{provider}/{id}/). */
export const PROPERTIES_FIELDS = ['Tags', 'AddTags', 'RemoveTags', 'Label', 'Description', 'Autostart'] as const;
export type PropertiesField = (typeof PROPERTIES_FIELDS)[number];

/** The fields of a clone request (POST /api/machines/{provider}/{id}/clone/). */
export const CLONE_FIELDS = ['Name', 'Full', 'Start'] as const;
export type CloneField = (typeof CLONE_FIELDS)[number];

/** The fields of a rebuild request (POST /api/machines/{provider}/{id}/rebuild/). */
export const REBUILD_FIELDS = ['Image', 'SSHKey', 'Userdata'] as const;
export type RebuildField = (typeof REBUILD_FIELDS)[number];

/** A field of a request a ServiceError can be about. */
export type RequestField = CreateField | ListField | PropertiesField | CloneField | RebuildField;

/**
 * A create request as the caller sent it, not yet checked: any string field may be '' (missing).
 * The machine service validates every field once (MachineService.createMachine).
 */
export interface CreateMachineRequest {
  provider: string;
  name: string;
  plan: string;
  /** Image id = the image volume's name. */
  image: string;
  /** Names of the config's SSH keys. */
  sshKeys: readonly string[];
  userdata: string;
  /** The authenticated user. */
  creator: string;
}

/**
 * A clone of a shut-off machine (the source) under a new name on its hypervisor. The clone's disk
 * is a copy-on-write overlay of the same image when the source's is one, unless `full`.
 */
export interface CloneMachineRequest {
  provider: string;
  /** The source machine's id. */
  id: string;
  name: string;
  /** A full copy even of an overlay disk (no backing image shared). */
  full: boolean;
  /** Start the clone once it is made (as a create does). */
  start: boolean;
  /** The authenticated user: the clone's creator. */
  by: string;
}

/**
 * A reinstall of a machine from an image: a new root disk and config drive, the same name, MAC,
 * address and size. What is not given stays as the machine has it.
 */
export interface RebuildMachineRequest {
  provider: string;
  id: string;
  /** Image id; undefined: the image the machine was made from. */
  image?: string;
  /** Names of the config's SSH keys; undefined: the machine's keys. */
  sshKeys?: readonly string[];
  /** undefined: the machine's userdata. */
  userdata?: string;
  by: string;
}

export interface MachineFilter {
  provider?: string;
  /** One of MACHINE_STATES; anything else is refused. */
  state?: string;
  /** Case-insensitive substring of name, IP, image, plan, creator, a tag or the label. */
  q?: string;
  /** Machines carrying this tag. */
  tag?: string;
}
