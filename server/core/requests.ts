/** What callers ask of the services, field by field as the API names the fields. */
/** The fields of a create request, as the API and the create form name them (vmango 0.6's names). */
export const CREATE_FIELDS = ['Name', 'Plan', 'Image', 'Provider', 'Userdata', 'SSHKey'] as const;
export type CreateField = (typeof CREATE_FIELDS)[number];

/** The machine list's filters, as the API's query names them. */
export type ListField = 'provider' | 'state' | 'q' | 'tag';

/** The fields of a change to a machine's properties (PATCH /api/machines/{provider}/{id}/). */
export const PROPERTIES_FIELDS = ['Tags', 'AddTags', 'RemoveTags', 'Label', 'Description', 'Autostart'] as const;
export type PropertiesField = (typeof PROPERTIES_FIELDS)[number];

/** A field of a request a ServiceError can be about. */
export type RequestField = CreateField | ListField | PropertiesField;

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

export interface MachineFilter {
  provider?: string;
  /** One of MACHINE_STATES; anything else is refused. */
  state?: string;
  /** Case-insensitive substring of name, IP, image, plan, creator, a tag or the label. */
  q?: string;
  /** Machines carrying this tag. */
  tag?: string;
}
