// libvirt flag and enum values (libvirt 9.0 headers) under readable names.

export const DomainXmlFlags = { SECURE: 1, INACTIVE: 2, UPDATE_CPU: 4, MIGRATABLE: 8 } as const;

export const DomainUndefineFlags = {
  MANAGED_SAVE: 1,
  SNAPSHOTS_METADATA: 2,
  NVRAM: 4,
  KEEP_NVRAM: 8,
  CHECKPOINTS_METADATA: 16,
  TPM: 32,
  KEEP_TPM: 64,
} as const;

/** virDomainModificationImpact; device calls also accept DEVICE_FORCE. */
export const AffectFlags = { CURRENT: 0, LIVE: 1, CONFIG: 2 } as const;
export const DeviceModifyFlags = { CURRENT: 0, LIVE: 1, CONFIG: 2, FORCE: 4 } as const;
export const VcpuFlags = { CURRENT: 0, LIVE: 1, CONFIG: 2, MAXIMUM: 4, GUEST: 8, HOTPLUGGABLE: 16 } as const;
export const MemoryFlags = { CURRENT: 0, LIVE: 1, CONFIG: 2, MAXIMUM: 4 } as const;

export const DomainShutdownFlags = {
  DEFAULT: 0,
  ACPI_POWER_BTN: 1,
  GUEST_AGENT: 2,
  INITCTL: 4,
  SIGNAL: 8,
  PARAVIRT: 16,
} as const;
export const DomainRebootFlags = DomainShutdownFlags;
/** virDomainGetGuestInfo's types (0 asks for every kind). */
export const GuestInfoTypes = {
  USERS: 1,
  OS: 2,
  TIMEZONE: 4,
  HOSTNAME: 8,
  FILESYSTEM: 16,
  DISKS: 32,
  INTERFACES: 64,
} as const;
export const SetUserPasswordFlags = { PLAIN: 0, ENCRYPTED: 1 } as const;
/** virDomainAuthorizedSSHKeysSet: neither flag replaces the user's keys. */
export const AuthorizedSshKeysFlags = { REPLACE: 0, APPEND: 1, REMOVE: 2 } as const;
export const DomainDestroyFlags = { DEFAULT: 0, GRACEFUL: 1 } as const;
export const DomainStartFlags = { NONE: 0, PAUSED: 1, AUTODESTROY: 2, BYPASS_CACHE: 4, FORCE_BOOT: 8, VALIDATE: 16 } as const;
export const DomainDefineFlags = { NONE: 0, VALIDATE: 1 } as const;
export const ConsoleFlags = { NONE: 0, FORCE: 1, SAFE: 2 } as const;

export const ListDomainsFlags = {
  ACTIVE: 1,
  INACTIVE: 2,
  PERSISTENT: 4,
  TRANSIENT: 8,
  RUNNING: 16,
  PAUSED: 32,
  SHUTOFF: 64,
  OTHER: 128,
} as const;

export type MetadataKind = 'description' | 'title' | 'element';
export const METADATA_TYPE: Record<MetadataKind, number> = { description: 0, title: 1, element: 2 };
export const METADATA_KIND_BY_NUMBER: readonly MetadataKind[] = ['description', 'title', 'element'];

export type InterfaceAddressSource = 'lease' | 'agent' | 'arp';
export const INTERFACE_ADDRESS_SOURCE: Record<InterfaceAddressSource, number> = { lease: 0, agent: 1, arp: 2 };

export type DomainStateName = 'nostate' | 'running' | 'blocked' | 'paused' | 'shutdown' | 'shutoff' | 'crashed' | 'pmsuspended';
export const DOMAIN_STATE_NAMES: readonly DomainStateName[] = [
  'nostate',
  'running',
  'blocked',
  'paused',
  'shutdown',
  'shutoff',
  'crashed',
  'pmsuspended',
];

export function domainStateName(state: number): DomainStateName {
  return DOMAIN_STATE_NAMES[state] ?? 'nostate';
}

export const DomainStatsTypes = {
  STATE: 1,
  CPU_TOTAL: 2,
  BALLOON: 4,
  VCPU: 8,
  INTERFACE: 16,
  BLOCK: 32,
  PERF: 64,
  IOTHREAD: 128,
  MEMORY: 256,
  DIRTYRATE: 512,
} as const;

export const SnapshotCreateFlags = {
  NONE: 0,
  REDEFINE: 1,
  CURRENT: 2,
  NO_METADATA: 4,
  HALT: 8,
  DISK_ONLY: 16,
  REUSE_EXT: 32,
  QUIESCE: 64,
  ATOMIC: 128,
  LIVE: 256,
  VALIDATE: 512,
} as const;
export const SnapshotDeleteFlags = { NONE: 0, CHILDREN: 1, METADATA_ONLY: 2, CHILDREN_ONLY: 4 } as const;
export const SnapshotRevertFlags = { NONE: 0, RUNNING: 1, PAUSED: 2, FORCE: 4, RESET_NVRAM: 8 } as const;

export type StoragePoolStateName = 'inactive' | 'building' | 'running' | 'degraded' | 'inaccessible';
export const STORAGE_POOL_STATE_NAMES: readonly StoragePoolStateName[] = [
  'inactive',
  'building',
  'running',
  'degraded',
  'inaccessible',
];

export type StorageVolTypeName = 'file' | 'block' | 'dir' | 'network' | 'netdir' | 'ploop';
export const STORAGE_VOL_TYPE_NAMES: readonly StorageVolTypeName[] = ['file', 'block', 'dir', 'network', 'netdir', 'ploop'];

export const VolCreateFlags = { NONE: 0, PREALLOC_METADATA: 1, REFLINK: 2, VALIDATE: 4 } as const;
export const VolDeleteFlags = { NORMAL: 0, ZEROED: 1, WITH_SNAPSHOTS: 2 } as const;
export const VolResizeFlags = { NONE: 0, ALLOCATE: 1, DELTA: 2, SHRINK: 4 } as const;
export const VolTransferFlags = { NONE: 0, SPARSE_STREAM: 1 } as const;

export type NetworkUpdateCommand = 'modify' | 'delete' | 'add-last' | 'add-first';
export const NETWORK_UPDATE_COMMAND: Record<NetworkUpdateCommand, number> = {
  modify: 1,
  delete: 2,
  'add-last': 3,
  'add-first': 4,
};

export type NetworkUpdateSection =
  | 'bridge'
  | 'domain'
  | 'ip'
  | 'ip-dhcp-host'
  | 'ip-dhcp-range'
  | 'forward'
  | 'forward-interface'
  | 'forward-pf'
  | 'portgroup'
  | 'dns-host'
  | 'dns-txt'
  | 'dns-srv';
export const NETWORK_UPDATE_SECTION: Record<NetworkUpdateSection, number> = {
  bridge: 1,
  domain: 2,
  ip: 3,
  'ip-dhcp-host': 4,
  'ip-dhcp-range': 5,
  forward: 6,
  'forward-interface': 7,
  'forward-pf': 8,
  portgroup: 9,
  'dns-host': 10,
  'dns-txt': 11,
  'dns-srv': 12,
};
export const NetworkUpdateFlags = { AFFECT_CURRENT: 0, AFFECT_LIVE: 1, AFFECT_CONFIG: 2 } as const;

export type LifecycleEventName =
  'defined' | 'undefined' | 'started' | 'suspended' | 'resumed' | 'stopped' | 'shutdown' | 'pmsuspended' | 'crashed';
export const LIFECYCLE_EVENT_NAMES: readonly LifecycleEventName[] = [
  'defined',
  'undefined',
  'started',
  'suspended',
  'resumed',
  'stopped',
  'shutdown',
  'pmsuspended',
  'crashed',
];

/** Detail names per lifecycle event (virDomainEvent*DetailType), indexed by number. */
export const LIFECYCLE_DETAIL_NAMES: Readonly<Record<LifecycleEventName, readonly string[]>> = {
  defined: ['added', 'updated', 'renamed', 'from-snapshot'],
  undefined: ['removed', 'renamed'],
  started: ['booted', 'migrated', 'restored', 'from-snapshot', 'wakeup'],
  suspended: [
    'paused',
    'migrated',
    'ioerror',
    'watchdog',
    'restored',
    'from-snapshot',
    'api-error',
    'postcopy',
    'postcopy-failed',
  ],
  resumed: ['unpaused', 'migrated', 'from-snapshot', 'postcopy', 'postcopy-failed'],
  stopped: ['shutdown', 'destroyed', 'crashed', 'migrated', 'saved', 'failed', 'from-snapshot'],
  shutdown: ['finished', 'guest', 'host'],
  pmsuspended: ['memory', 'disk'],
  crashed: ['panicked', 'crashloaded'],
};
