/**
 * The contract between the machine/image services and the HTTP layer (API and pages).
 * The HTTP layer sees only this: no libvirt, no XML. Errors carry the status class the
 * HTTP layer answers with and a message safe to show (vmango 0.6's wording where 0.6 had one).
 */
import type { HypervisorStatus } from '../hypervisors/connection-manager.js';
import type { Image, Machine, MachineState } from './machine.js';

export type MachineAction = 'start' | 'stop' | 'shutdown' | 'reboot' | 'pause' | 'resume';
export const MACHINE_ACTIONS: readonly MachineAction[] = ['start', 'stop', 'shutdown', 'reboot', 'pause', 'resume'];

export type ServiceErrorKind =
  | 'not-found' // 404: unknown provider, machine
  | 'bad-request' // 400: invalid name, unknown plan/image/ssh key, userdata too large
  | 'conflict' // 409: a machine with that name exists
  | 'unavailable' // 503: the hypervisor is unavailable or did not answer in time
  | 'unsupported' // 501: the hypervisor cannot do this (e.g. the test driver cannot clone across pools)
  | 'internal'; // 500

export class ServiceError extends Error {
  constructor(
    readonly kind: ServiceErrorKind,
    message: string,
    /** Seconds after which retrying may help (503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export interface MachineFilter {
  provider?: string;
  state?: MachineState;
  /** Case-insensitive substring of name, IP, image, plan or creator. */
  q?: string;
}

/** A provider's health as the lists report it next to their data. */
export interface ProviderAvailability {
  name: string;
  state: HypervisorStatus['state'];
  error?: string;
  since: Date;
}

export interface MachineListResult {
  /** Machines by provider name, in config (sorted) order; an unavailable provider maps to its last known list or []. */
  machines: Map<string, Machine[]>;
  providers: ProviderAvailability[];
}

export interface ImageListResult {
  images: Map<string, Image[]>;
  providers: ProviderAvailability[];
}

export interface UsageFigures {
  totalBytes: number;
  usedBytes: number;
  /** Whole percent, as 0.6's StatusInfo. */
  usagePercent: number;
}

export interface ProviderSummary extends ProviderAvailability {
  /** The libvirt URI without secrets. */
  uri: string;
  hostname?: string;
  libvirtVersion?: string;
  hypervisorVersion?: string;
  machineCount?: number;
  memory?: UsageFigures;
  storage?: UsageFigures;
}

export interface CreateMachineRequest {
  provider: string;
  name: string;
  plan: string;
  /** Image id = the image volume's name. */
  image: string;
  sshKeys: string[];
  userdata: string;
  /** The authenticated user. */
  creator: string;
}

export interface MachineService {
  listMachines(filter?: MachineFilter): Promise<MachineListResult>;
  /** id: 32 hex digits, dashed UUIDs accepted. */
  getMachine(provider: string, id: string): Promise<Machine>;
  createMachine(request: CreateMachineRequest): Promise<Machine>;
  /** Resolves with the machine as it was before deletion. */
  deleteMachine(provider: string, id: string): Promise<Machine>;
  changeState(provider: string, id: string, action: MachineAction): Promise<Machine>;
  listImages(): Promise<ImageListResult>;
  providers(): Promise<ProviderSummary[]>;
}
