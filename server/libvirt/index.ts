// The project's libvirt binding: a native N-API addon (native/) with this typed face.
// Reference: docs/libvirt-api.md.
export { openConnection, Connection, formatVersion } from './connection.js';
export type {
  OpenOptions,
  ClosedEvent,
  TimeoutEvent,
  VersionInfo,
  NodeInfo,
  ListAllDomainsOptions,
  ConnectionEvents,
} from './connection.js';
export type { CallOptions, CallKind, CreateOptions, FlagOptions } from './invoker.js';
export { Domain } from './domain.js';
export type {
  DomainListEntry,
  DomainInfo,
  DomainStateInfo,
  MetadataOptions,
  GetMetadataOptions,
  InterfaceAddresses,
} from './domain.js';
export { DomainSnapshot } from './snapshot.js';
export { GuestAgent, AGENT_TIMEOUT_MS, MAX_WAITING_PER_DOMAIN } from './agent.js';
export type {
  AgentInfo,
  GuestInfo,
  GuestUser,
  GuestOs,
  GuestTimezone,
  GuestFilesystem,
  GuestInterface,
  GuestAddress,
  GuestDisk,
} from './agent.js';
export { StoragePool } from './storage-pool.js';
export type { StoragePoolListEntry, StoragePoolInfo } from './storage-pool.js';
export { StorageVolume } from './storage-volume.js';
export type { StorageVolumeListEntry, StorageVolumeInfo } from './storage-volume.js';
export { Network } from './network.js';
export type { NetworkListEntry, DhcpLease, NetworkUpdateOptions } from './network.js';
export { ConsoleSession } from './console.js';
export type { ConsoleOpenOptions } from './console.js';
export type { TransferOptions } from './stream.js';
export type { DomainEvent, DomainEventKind } from './events.js';
export type { DomainStats, InterfaceStats, BlockStats } from './stats.js';
export { LibvirtError, ErrorCode, errorCodeName, errorDomainName, isLibvirtError, isConnectionErrorCode } from './errors.js';
export type { ErrorCodeName } from './errors.js';
export { normalizeUuid } from './uuid.js';
export { nonInteractiveUri, redactLibvirtUri } from './uri.js';
export { trimNativeMemory, tuneNativeMalloc } from './memory.js';
export type { NativeMallocTuning } from './memory.js';
export * from './constants.js';
