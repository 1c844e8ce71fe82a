/**
 * The contract between the services and the layers above them (HTTP, the composition root). Those
 * layers see only this: no libvirt, no XML, no connections. Failures are ServiceErrors.
 */
import type { PropertiesChange } from './machine-properties.js';
import type { ConsoleService } from './consoles.js';
import type { EventFeed, PanelEventListener } from './events.js';
import type { AccessTarget, Permission } from './permissions.js';
import type { Principal } from './principal.js';
import type { Quota, QuotaUse } from './quota.js';
import type { ResizeService } from './resize.js';
import type { GuestService } from './guest.js';
import type { AuditPage, AuditQuery } from './audit.js';
import type { SnapshotService } from './snapshots.js';
import type { MachineAction, PowerMethod } from './actions.js';
import type { Image, Machine } from './machine.js';
import type { ProviderAvailability, ProviderSummary } from './provider.js';
import type { CloneMachineRequest, CreateMachineRequest, MachineFilter, RebuildMachineRequest } from './requests.js';

/** One provider's machines at one moment: a version of its list that never changes once made. */
export interface MachineListSnapshot {
  /** Deeply frozen, sorted by name; the same array object for as long as `version` stays the same. */
  readonly machines: readonly Machine[];
  /**
   * Changes whenever the provider's list does (a machine added, removed or changed): for one
   * provider and one filter, the same version always comes with the same machines, so a reader may
   * keep what it made of a snapshot (a response body) for as long as the version stays the same.
   */
  readonly version: number;
}

export interface MachineListResult {
  /** Machines by provider name, in config (sorted) order; an unavailable provider maps to its last known list or []. */
  machines: Map<string, MachineListSnapshot>;
  providers: ProviderAvailability[];
}

export interface ImageListResult {
  images: Map<string, Image[]>;
  providers: ProviderAvailability[];
}

export type { PanelEvent, PanelEventListener } from './events.js';

export interface StateChange {
  machine: Machine;
  /** shutdown and reboot only. */
  via?: PowerMethod;
}

export interface MachineService {
  /** Throws 'bad-request' for an unknown provider or state in the filter. */
  listMachines(filter?: MachineFilter): Promise<MachineListResult>;
  /** id: 32 hex digits, dashed UUIDs accepted; anything else is 'not-found'. */
  getMachine(provider: string, id: string): Promise<Machine>;
  /** Checks every field of the request (all missing ones at once), then creates the machine. */
  createMachine(request: CreateMachineRequest): Promise<Machine>;
  /**
   * Copies a shut-off machine: its definition, disk and settings, under a new name, UUID, MAC,
   * address reservation and config drive (new instance id and hostname). Resolves with the clone.
   */
  cloneMachine(request: CloneMachineRequest): Promise<Machine>;
  /**
   * Reinstalls a machine from an image: a new root disk and config drive in place of the old
   * (removed only once the new ones are in place), the same name, MAC, address and size; a running
   * machine is powered off for it and started again. Resolves with the machine after.
   */
  rebuildMachine(request: RebuildMachineRequest): Promise<Machine>;
  /** Resolves with the machine as it was before deletion. */
  deleteMachine(provider: string, id: string): Promise<Machine>;
  /** The machine after the action, and for a shutdown or reboot how it reached the guest. */
  changeState(provider: string, id: string, action: MachineAction): Promise<StateChange>;
  /** Tags, label, description and autostart; `by` is the user, for the log. Resolves with the machine after. */
  changeProperties(provider: string, id: string, change: PropertiesChange, by: string): Promise<Machine>;
  listImages(): Promise<ImageListResult>;
  providers(): Promise<ProviderSummary[]>;
  /** Every provider's current connection state, without waiting for anything. */
  providerStates(): ProviderAvailability[];
  /** Provider state changes and machine changes as they happen; returns the unsubscribe function. */
  subscribe(listener: PanelEventListener): () => void;
}

/**
 * The services as one principal may use them: every call checks the principal's permissions on
 * its target (a refusal is a 'forbidden' ServiceError naming the permission), lists and the event
 * stream hold only what the principal may list, and a machine's userdata is blank without
 * `userdata-read`. For a user with full access these are the services themselves.
 */
export interface ScopedServices {
  principal: Principal;
  machines: MachineService;
  snapshots: SnapshotService;
  resize: ResizeService;
  /** Guest facts from the machine's QEMU guest agent (needs `view`). */
  guest: GuestService;
  consoles: Pick<ConsoleService, 'issueTicket'>;
  /** The event journal as the principal may hear it (replays included): what `machines.subscribe` gives, with ids. */
  events: EventFeed;
  /** Whether the principal has the permission on the target (for what a page offers). */
  can(permission: Permission, target: AccessTarget): boolean;
  /** The permissions the principal has on the machine. */
  permissionsOn(machine: Machine): ReadonlySet<Permission>;
  /** The principal's quota: its limits and what it uses now. */
  quota(): Promise<QuotaReport>;
  /** The audit log as the principal may read it (audit-read). */
  audit: ScopedAuditLog;
}

/** Where a request came from, for the audit log (the principal carries the token id). */
export interface RequestContext {
  /** The client's address, as the trusted-proxy rules resolve it. */
  address?: string;
}

export interface ScopedAuditLog {
  /**
   * Newest first, only entries about what the principal has `audit-read` on (entries about no
   * hypervisor, such as logins, need it on every hypervisor). 'forbidden' naming `audit-read`
   * without it anywhere; 'bad-request' naming the filter for a bad one.
   */
  query(query: AuditQuery): Promise<AuditPage>;
  /** Whether the principal may read any of the log (what the pages offer). */
  readable(): boolean;
}

export interface QuotaReport {
  user: string;
  limit: Quota;
  use: QuotaUse;
}

/** Who a user is to the services, and the services as that user may use them. */
export interface AccessControl {
  /** undefined for a user the config does not have (any more). */
  principalFor(user: string): Principal | undefined;
  /** The principal of a checked API token: its user, narrowed by the token's grants. */
  principalForToken(tokenId: string): Principal | undefined;
  /** `context`: where the request came from, recorded with every change it makes. */
  servicesFor(principal: Principal, context?: RequestContext): ScopedServices;
}
