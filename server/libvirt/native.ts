// Loads the native addon. Its functions take (connection, jobId, ...args) and return
// Promises settled from the connection's own native thread; see docs/libvirt-api.md.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Opaque type-tagged reference to a libvirt object, owned by the addon. */
export type NativeHandle = { readonly __nativeHandle: unique symbol };
/** A native console session (console.cc). */
export type NativeConsole = { readonly __nativeConsole: unique symbol };

export interface NativeConnectionObject {
  /** Stops waiting for a job; with keepLate its promise still settles when the job ends (undo what it did). */
  abandon(jobId: number, keepLate?: boolean): boolean;
  pendingCount(): number;
  /** Opens a console's side connection ahead of need (kept 5 minutes unused). */
  warmConsole(): void;
}

export interface NativeConnectionConstructor {
  new (notify: (type: string, payload: unknown) => void): NativeConnectionObject;
}

export interface NativeRef {
  name: string;
  handle: NativeHandle;
}
export interface NativeDomainRef extends NativeRef {
  uuid: string;
  id: number;
}
export interface NativePoolRef extends NativeRef {
  uuid: string;
}
export interface NativeVolumeRef extends NativeRef {
  key: string;
}
export interface NativeNetworkRef extends NativeRef {
  uuid: string;
}

type Call<A extends unknown[], R> = (conn: NativeConnectionObject, jobId: number, ...args: A) => Promise<R>;

export interface NativeBinding {
  NativeConnection: NativeConnectionConstructor;
  /** malloc_trim(0): frees pages glibc keeps for the process's threads; false where there is none. */
  trimMemory: () => boolean;
  /** mallopt M_ARENA_MAX, M_MMAP_THRESHOLD, M_TRIM_THRESHOLD; false where there is none. */
  tuneMalloc: (maxArenas: number, thresholdBytes: number) => boolean;
  open: Call<[uri: string, keepaliveInterval: number, keepaliveCount: number], void>;
  close: Call<[], void>;
  getHostname: Call<[], string>;
  getVersions: Call<[], { libVersion: number; hypervisorVersion: number; hypervisorType: string | null }>;
  getNodeInfo: Call<[], NativeNodeInfo>;
  getNodeMemoryStats: Call<[], Record<string, number>>;
  getCapabilities: Call<[], string>;

  listAllDomains: Call<
    [flags: number, withXml: boolean, xmlFlags: number],
    (NativeDomainRef & { state: number; reason: number; xml?: string })[]
  >;
  domainLookupByName: Call<[name: string], NativeDomainRef>;
  domainLookupByUuid: Call<[uuid: string], NativeDomainRef>;
  domainDefineXml: Call<[xml: string, flags: number], NativeDomainRef>;
  domainCreateXml: Call<[xml: string, flags: number], NativeDomainRef>;
  domainStart: Call<[dom: NativeHandle, flags: number], void>;
  domainShutdown: Call<[dom: NativeHandle, flags: number], void>;
  domainDestroy: Call<[dom: NativeHandle, flags: number], void>;
  domainReboot: Call<[dom: NativeHandle, flags: number], void>;
  domainReset: Call<[dom: NativeHandle, flags: number], void>;
  domainSuspend: Call<[dom: NativeHandle, flags: number], void>;
  domainResume: Call<[dom: NativeHandle, flags: number], void>;
  domainUndefine: Call<[dom: NativeHandle, flags: number], void>;
  domainGetAutostart: Call<[dom: NativeHandle], boolean>;
  domainSetAutostart: Call<[dom: NativeHandle, autostart: boolean], void>;
  domainGetXmlDesc: Call<[dom: NativeHandle, flags: number], string>;
  domainGetInfo: Call<
    [dom: NativeHandle],
    { state: number; maxMemKiB: number; memoryKiB: number; nrVirtCpu: number; cpuTimeNs: number }
  >;
  domainGetState: Call<[dom: NativeHandle], { state: number; reason: number }>;
  domainIsActive: Call<[dom: NativeHandle], boolean>;
  domainSetMetadata: Call<
    [dom: NativeHandle, type: number, metadata: string | null, key: string | null, uri: string | null, flags: number],
    void
  >;
  domainGetMetadata: Call<[dom: NativeHandle, type: number, uri: string | null, flags: number], string>;
  domainAttachDevice: Call<[dom: NativeHandle, xml: string, flags: number], void>;
  domainDetachDevice: Call<[dom: NativeHandle, xml: string, flags: number], void>;
  domainUpdateDevice: Call<[dom: NativeHandle, xml: string, flags: number], void>;
  domainSetVcpus: Call<[dom: NativeHandle, count: number, flags: number], void>;
  domainBlockResize: Call<[dom: NativeHandle, disk: string, bytes: number], void>;
  domainSetMemory: Call<[dom: NativeHandle, memoryKiB: number, flags: number], void>;
  /** timeoutSec (source agent): the guest's answer deadline, 0 for the domain's current one. */
  domainInterfaceAddresses: Call<[dom: NativeHandle, source: number, timeoutSec: number], NativeInterface[]>;
  /** Guest agent calls (domain_agent.cc): each on a guest agent connection, timeoutSec the guest's deadline. */
  domainAgentCommand: Call<[dom: NativeHandle, command: string, timeoutSec: number, flags: number], string>;
  domainGetGuestInfo: Call<
    [dom: NativeHandle, types: number, flags: number, timeoutSec: number],
    Record<string, number | string | boolean>
  >;
  domainSetUserPassword: Call<[dom: NativeHandle, user: string, password: string, flags: number, timeoutSec: number], void>;
  domainAuthorizedSshKeysGet: Call<[dom: NativeHandle, user: string, flags: number, timeoutSec: number], string[]>;
  domainAuthorizedSshKeysSet: Call<[dom: NativeHandle, user: string, keys: string[], flags: number, timeoutSec: number], void>;
  domainFsFreeze: Call<[dom: NativeHandle, mountpoints: string[], flags: number, timeoutSec: number], number>;
  domainFsThaw: Call<[dom: NativeHandle, mountpoints: string[], flags: number, timeoutSec: number], number>;
  domainFsTrim: Call<
    [dom: NativeHandle, mountPoint: string | null, minimumBytes: number, flags: number, timeoutSec: number],
    void
  >;
  domainAgentShutdown: Call<[dom: NativeHandle, flags: number, timeoutSec: number], void>;
  domainAgentReboot: Call<[dom: NativeHandle, flags: number, timeoutSec: number], void>;
  getAllDomainStats: Call<[stats: number, flags: number], NativeStatsRecord[]>;
  domainGetStats: Call<[dom: NativeHandle, stats: number, flags: number], NativeStatsRecord[]>;
  snapshotCreate: Call<[dom: NativeHandle, xml: string, flags: number], NativeRef>;
  snapshotList: Call<[dom: NativeHandle, flags: number], NativeRef[]>;
  snapshotLookup: Call<[dom: NativeHandle, name: string], NativeRef>;
  snapshotRevert: Call<[snap: NativeHandle, flags: number], void>;
  snapshotDelete: Call<[snap: NativeHandle, flags: number], void>;
  snapshotGetXmlDesc: Call<[snap: NativeHandle, flags: number], string>;
  domainEventsSubscribe: Call<[], void>;

  listAllStoragePools: Call<[flags: number], (NativePoolRef & { active: boolean; xml: string })[]>;
  poolLookupByName: Call<[name: string], NativePoolRef>;
  poolGetXmlDesc: Call<[pool: NativeHandle, flags: number], string>;
  poolGetInfo: Call<[pool: NativeHandle], { state: number; capacity: number; allocation: number; available: number }>;
  poolIsActive: Call<[pool: NativeHandle], boolean>;
  poolRefresh: Call<[pool: NativeHandle], void>;

  listAllVolumes: Call<
    [pool: NativeHandle],
    (NativeVolumeRef & { path: string; type: number; capacity: number; allocation: number; xml: string })[]
  >;
  listVolumeNames: Call<[pool: NativeHandle], NativeVolumeRef[]>;
  volLookupByName: Call<[pool: NativeHandle, name: string], NativeVolumeRef>;
  volLookupByPath: Call<[path: string], NativeVolumeRef>;
  volLookupByKey: Call<[key: string], NativeVolumeRef>;
  volCreateXml: Call<[pool: NativeHandle, xml: string, flags: number], NativeVolumeRef>;
  volCreateXmlFrom: Call<[pool: NativeHandle, xml: string, source: NativeHandle, flags: number], NativeVolumeRef>;
  volDelete: Call<[vol: NativeHandle, flags: number], void>;
  volGetXmlDesc: Call<[vol: NativeHandle], string>;
  volGetInfo: Call<[vol: NativeHandle], { type: number; capacity: number; allocation: number }>;
  volGetPath: Call<[vol: NativeHandle], string>;
  volResize: Call<[vol: NativeHandle, capacity: number, flags: number], void>;

  listAllNetworks: Call<[flags: number], (NativeNetworkRef & { active: boolean; xml: string })[]>;
  networkLookupByName: Call<[name: string], NativeNetworkRef>;
  networkGetXmlDesc: Call<[net: NativeHandle, flags: number], string>;
  networkIsActive: Call<[net: NativeHandle], boolean>;
  networkUpdate: Call<
    [net: NativeHandle, command: number, section: number, parentIndex: number, xml: string, flags: number],
    void
  >;
  networkGetDhcpLeases: Call<[net: NativeHandle, mac: string | null], NativeDhcpLease[]>;

  volUpload: Call<[vol: NativeHandle, offset: number, length: number, flags: number], NativeHandle>;
  volDownload: Call<[vol: NativeHandle, offset: number, length: number, flags: number], NativeHandle>;
  /** A console session not yet open; events: 'data' (Buffer), 'drained', 'closed' ({ reason, error? }). */
  consoleCreate: (onEvent: (type: string, payload: unknown) => void) => NativeConsole;
  consoleOpen: Call<[console: NativeConsole, dom: NativeHandle, devName: string | null, flags: number], void>;
  /** Queues bytes for the guest; returns the bytes waiting to be sent. */
  consoleWrite: (console: NativeConsole, data: Buffer) => number;
  consoleConsumed: (console: NativeConsole, bytes: number) => void;
  consoleClose: (console: NativeConsole, reason: string) => void;
  streamSend: Call<[stream: NativeHandle, data: Buffer], void>;
  streamRecv: Call<[stream: NativeHandle, maxBytes: number], Buffer | null>;
  streamFinish: Call<[stream: NativeHandle], void>;
  streamAbort: Call<[stream: NativeHandle], void>;
}

export interface NativeNodeInfo {
  model: string;
  memoryKiB: number;
  cpus: number;
  mhz: number;
  nodes: number;
  sockets: number;
  cores: number;
  threads: number;
}

export interface NativeInterface {
  name: string;
  hwaddr: string | null;
  addrs: { type: 'ipv4' | 'ipv6'; addr: string; prefix: number }[];
}

export interface NativeStatsRecord {
  name: string;
  uuid: string;
  params: Record<string, number | string | boolean>;
}

export interface NativeDhcpLease {
  iface: string | null;
  expiryTime: number;
  type: 'ipv4' | 'ipv6';
  mac: string | null;
  iaid: string | null;
  ipaddr: string | null;
  prefix: number;
  hostname: string | null;
  clientId: string | null;
}

export type NativeMethodName = Exclude<
  keyof NativeBinding,
  'NativeConnection' | 'trimMemory' | 'tuneMalloc' | 'consoleCreate' | 'consoleWrite' | 'consoleConsumed' | 'consoleClose'
>;

const ADDON_RELATIVE_PATH = join('build', 'Release', 'vmango_libvirt.node');

/** Every export NativeBinding declares, checked once when the addon loads. */
const NATIVE_EXPORTS = [
  'NativeConnection',
  'trimMemory',
  'tuneMalloc',
  'open',
  'close',
  'getHostname',
  'getVersions',
  'getNodeInfo',
  'getNodeMemoryStats',
  'getCapabilities',
  'listAllDomains',
  'domainLookupByName',
  'domainLookupByUuid',
  'domainDefineXml',
  'domainCreateXml',
  'domainStart',
  'domainShutdown',
  'domainDestroy',
  'domainReboot',
  'domainReset',
  'domainSuspend',
  'domainResume',
  'domainUndefine',
  'domainGetAutostart',
  'domainSetAutostart',
  'domainGetXmlDesc',
  'domainGetInfo',
  'domainGetState',
  'domainIsActive',
  'domainSetMetadata',
  'domainGetMetadata',
  'domainAttachDevice',
  'domainDetachDevice',
  'domainUpdateDevice',
  'domainSetVcpus',
  'domainSetMemory',
  'domainBlockResize',
  'domainInterfaceAddresses',
  'domainAgentCommand',
  'domainGetGuestInfo',
  'domainSetUserPassword',
  'domainAuthorizedSshKeysGet',
  'domainAuthorizedSshKeysSet',
  'domainFsFreeze',
  'domainFsThaw',
  'domainFsTrim',
  'domainAgentShutdown',
  'domainAgentReboot',
  'getAllDomainStats',
  'domainGetStats',
  'snapshotCreate',
  'snapshotList',
  'snapshotLookup',
  'snapshotRevert',
  'snapshotDelete',
  'snapshotGetXmlDesc',
  'domainEventsSubscribe',
  'listAllStoragePools',
  'poolLookupByName',
  'poolGetXmlDesc',
  'poolGetInfo',
  'poolIsActive',
  'poolRefresh',
  'listAllVolumes',
  'listVolumeNames',
  'volLookupByName',
  'volLookupByPath',
  'volLookupByKey',
  'volCreateXml',
  'volCreateXmlFrom',
  'volDelete',
  'volGetXmlDesc',
  'volGetInfo',
  'volGetPath',
  'volResize',
  'listAllNetworks',
  'networkLookupByName',
  'networkGetXmlDesc',
  'networkIsActive',
  'networkUpdate',
  'networkGetDhcpLeases',
  'volUpload',
  'volDownload',
  'consoleCreate',
  'consoleOpen',
  'consoleWrite',
  'consoleConsumed',
  'consoleClose',
  'streamSend',
  'streamRecv',
  'streamFinish',
  'streamAbort',
] as const satisfies readonly (keyof NativeBinding)[];
// Fails to compile when NativeBinding gains a member this list lacks.
const NATIVE_EXPORTS_COMPLETE: Exclude<keyof NativeBinding, (typeof NATIVE_EXPORTS)[number]> extends never ? true : never = true;
void NATIVE_EXPORTS_COMPLETE;

/** The declared exports an addon lacks (a build older than this code). */
export function missingNativeExports(addon: Record<string, unknown>): string[] {
  return NATIVE_EXPORTS.filter((name) => typeof addon[name] !== 'function');
}

function findAddon(): string {
  // server/libvirt/native.ts (or dist/server/libvirt/native.js): walk up to the package root.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, ADDON_RELATIVE_PATH);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(
    `libvirt native addon not found (${ADDON_RELATIVE_PATH} above ${fileURLToPath(import.meta.url)}): ` +
      'run `npm run build:native` to build it (needs libvirt-dev and a C++17 compiler)',
  );
}

let loaded: NativeBinding | undefined;

export function loadNative(): NativeBinding {
  if (loaded === undefined) {
    const path = findAddon();
    const addon = createRequire(import.meta.url)(path) as Record<string, unknown>;
    const missing = missingNativeExports(addon);
    if (missing.length > 0) {
      throw new Error(
        `the libvirt native addon ${path} is older than this code: it lacks ${missing.join(', ')}; ` +
          'rebuild it with `npm run build:native` (scripts/setup.sh does it when native/ changes)',
      );
    }
    loaded = addon as unknown as NativeBinding;
  }
  return loaded;
}
