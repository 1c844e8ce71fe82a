import type { CallOptions, CreateOptions, FlagOptions, Invoker } from './invoker.js';
import {
  DOMAIN_STATE_NAMES,
  INTERFACE_ADDRESS_SOURCE,
  METADATA_TYPE,
  domainStateName,
  type DomainStateName,
  type InterfaceAddressSource,
  type MetadataKind,
} from './constants.js';
import { ErrorCode, LibvirtError } from './errors.js';
import type { NativeDomainRef, NativeHandle, NativeInterface } from './native.js';
import { parseDomainStats, type DomainStats } from './stats.js';
import { DomainSnapshot } from './snapshot.js';
import { ConsoleSession, type ConsoleOpenOptions } from './console.js';
import { GuestAgent } from './agent.js';

export interface DomainListEntry {
  domain: Domain;
  name: string;
  uuid: string;
  /** -1 when inactive. */
  id: number;
  state: DomainStateName;
  stateReason: number;
  /** Present unless listAllDomains was called with withXml: false. */
  xml: string;
}

export interface DomainInfo {
  state: DomainStateName;
  maxMemKiB: number;
  memoryKiB: number;
  vcpus: number;
  cpuTimeNs: number;
}

export interface DomainStateInfo {
  state: DomainStateName;
  reason: number;
}

export type { FlagOptions };

export type MetadataOptions = CallOptions & {
  /** AffectFlags (LIVE, CONFIG); default CURRENT. */
  flags?: number;
} & ({ type: 'element'; key: string; uri: string } | { type: 'description' | 'title'; key?: undefined; uri?: undefined });

export type GetMetadataOptions = CallOptions & { flags?: number } & (
    { type: 'element'; uri: string } | { type: 'description' | 'title'; uri?: undefined }
  );

export type InterfaceAddresses = NativeInterface;

function checkMetadataKind(type: string): number {
  const value = METADATA_TYPE[type as MetadataKind];
  if (value === undefined) {
    throw new LibvirtError(
      ErrorCode.INVALID_ARG,
      `metadata type must be one of element, description, title; got ${JSON.stringify(type)}`,
    );
  }
  return value;
}

/** A lightweight handle to one domain; every method is a job on the connection's thread. */
export class Domain {
  readonly connection: Invoker;
  readonly name: string;
  readonly uuid: string;
  /** The id when looked up (-1 if inactive then); not refreshed. */
  readonly id: number;
  /** @internal */
  readonly handle: NativeHandle;

  /** @internal */
  constructor(connection: Invoker, ref: NativeDomainRef) {
    this.connection = connection;
    this.name = ref.name;
    this.uuid = ref.uuid;
    this.id = ref.id;
    this.handle = ref.handle;
  }

  /** @internal */
  static listEntry(
    connection: Invoker,
    entry: NativeDomainRef & { state: number; reason: number; xml?: string },
  ): DomainListEntry {
    return {
      domain: new Domain(connection, entry),
      name: entry.name,
      uuid: entry.uuid,
      id: entry.id,
      state: domainStateName(entry.state),
      stateReason: entry.reason,
      xml: entry.xml ?? '',
    };
  }

  /** flags: DomainXmlFlags (INACTIVE, SECURE, UPDATE_CPU, MIGRATABLE). */
  getXmlDesc(options?: FlagOptions): Promise<string> {
    return this.connection.invoke('domainGetXmlDesc', [this.handle, options?.flags ?? 0], options);
  }

  async getInfo(options?: CallOptions): Promise<DomainInfo> {
    const info = await this.connection.invoke('domainGetInfo', [this.handle], options);
    return {
      state: domainStateName(info.state),
      maxMemKiB: info.maxMemKiB,
      memoryKiB: info.memoryKiB,
      vcpus: info.nrVirtCpu,
      cpuTimeNs: info.cpuTimeNs,
    };
  }

  async getState(options?: CallOptions): Promise<DomainStateInfo> {
    const s = await this.connection.invoke('domainGetState', [this.handle], options);
    return { state: DOMAIN_STATE_NAMES[s.state] ?? 'nostate', reason: s.reason };
  }

  isActive(options?: CallOptions): Promise<boolean> {
    return this.connection.invoke('domainIsActive', [this.handle], options);
  }

  /** flags: DomainStartFlags. */
  start(options?: FlagOptions): Promise<void> {
    return this.connection.invoke('domainStart', [this.handle, options?.flags ?? 0], options);
  }

  /** Asks the guest to shut down. flags: DomainShutdownFlags. */
  shutdown(options?: FlagOptions): Promise<void> {
    return this.connection.invoke('domainShutdown', [this.handle, options?.flags ?? 0], options);
  }

  /** Hard power-off. flags: DomainDestroyFlags. */
  destroy(options?: FlagOptions): Promise<void> {
    return this.connection.invoke('domainDestroy', [this.handle, options?.flags ?? 0], options);
  }

  reboot(options?: FlagOptions): Promise<void> {
    return this.connection.invoke('domainReboot', [this.handle, options?.flags ?? 0], options);
  }

  /** Caller to come: a hard reset action beside reboot (issue 14). */
  reset(options?: CallOptions): Promise<void> {
    return this.connection.invoke('domainReset', [this.handle, 0], options);
  }

  suspend(options?: CallOptions): Promise<void> {
    return this.connection.invoke('domainSuspend', [this.handle, 0], options);
  }

  resume(options?: CallOptions): Promise<void> {
    return this.connection.invoke('domainResume', [this.handle, 0], options);
  }

  /** flags: DomainUndefineFlags (MANAGED_SAVE, SNAPSHOTS_METADATA, NVRAM, CHECKPOINTS_METADATA…). */
  undefine(options?: FlagOptions): Promise<void> {
    return this.connection.invoke('domainUndefine', [this.handle, options?.flags ?? 0], options);
  }

  /** Whether libvirt starts the domain when the hypervisor starts. */
  getAutostart(options?: CallOptions): Promise<boolean> {
    return this.connection.invoke('domainGetAutostart', [this.handle], options);
  }

  setAutostart(autostart: boolean, options?: CallOptions): Promise<void> {
    return this.connection.invoke('domainSetAutostart', [this.handle, autostart], options);
  }

  /**
   * Sets (or with metadata null, removes) a metadata element, description or title.
   * For 'element', key is the namespace prefix and uri the namespace.
   * Used for tags, label and description (services/machines/properties-metadata.ts).
   */
  setMetadata(metadata: string | null, options: MetadataOptions): Promise<void> {
    let type: number;
    try {
      type = checkMetadataKind(options.type);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.connection.invoke(
      'domainSetMetadata',
      [this.handle, type, metadata, options.key ?? null, options.uri ?? null, options.flags ?? 0],
      options,
    );
  }

  /**
   * Rejects with NO_DOMAIN_METADATA when absent.
   * Used to read tags, label and description (services/machines/properties-metadata.ts).
   */
  getMetadata(options: GetMetadataOptions): Promise<string> {
    let type: number;
    try {
      type = checkMetadataKind(options.type);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.connection.invoke('domainGetMetadata', [this.handle, type, options.uri ?? null, options.flags ?? 0], options);
  }

  /** flags: DeviceModifyFlags (LIVE, CONFIG, FORCE). */
  attachDevice(xml: string, options?: FlagOptions): Promise<void> {
    return this.connection.invoke('domainAttachDevice', [this.handle, xml, options?.flags ?? 0], options);
  }

  /** Caller to come: devices added and removed on a machine (issue 20). */
  detachDevice(xml: string, options?: FlagOptions): Promise<void> {
    return this.connection.invoke('domainDetachDevice', [this.handle, xml, options?.flags ?? 0], options);
  }

  updateDevice(xml: string, options?: FlagOptions): Promise<void> {
    return this.connection.invoke('domainUpdateDevice', [this.handle, xml, options?.flags ?? 0], options);
  }

  /** flags: VcpuFlags (MAXIMUM with CONFIG raises the ceiling). Used by resize. */
  setVcpus(count: number, options?: FlagOptions): Promise<void> {
    return this.connection.invoke('domainSetVcpus', [this.handle, count, options?.flags ?? 0], options);
  }

  /** memoryKiB in KiB; flags: MemoryFlags (MAXIMUM with CONFIG raises the ceiling). Used by resize. */
  setMemory(memoryKiB: number, options?: FlagOptions): Promise<void> {
    return this.connection.invoke('domainSetMemory', [this.handle, memoryKiB, options?.flags ?? 0], options);
  }

  /** Grows a running domain's disk (its target, e.g. vda) to `bytes`; QEMU resizes the image. */
  blockResize(disk: string, bytes: number, options?: CallOptions): Promise<void> {
    return this.connection.invoke('domainBlockResize', [this.handle, disk, bytes], options);
  }

  /** From the agent: as agent().interfaceAddresses() (its turn and deadline; timeoutMs at least 1000). */
  interfaceAddresses(source: InterfaceAddressSource, options?: CallOptions): Promise<InterfaceAddresses[]> {
    if (source === 'agent') return this.agent().interfaceAddresses(options);
    const value = INTERFACE_ADDRESS_SOURCE[source];
    if (value === undefined) {
      return Promise.reject(
        new LibvirtError(
          ErrorCode.INVALID_ARG,
          `interface address source must be lease, agent or arp; got ${JSON.stringify(source)}`,
        ),
      );
    }
    return this.connection.invoke('domainInterfaceAddresses', [this.handle, value, 0], options);
  }

  /**
   * Statistics of this domain; stats: DomainStatsTypes bits (default: all common groups).
   * Caller to come: one machine's live metrics (issue 17).
   */
  async getStats(options?: CallOptions & { stats?: number; flags?: number }): Promise<DomainStats> {
    const records = await this.connection.invoke(
      'domainGetStats',
      [this.handle, options?.stats ?? 63, options?.flags ?? 0],
      options,
    );
    const record = records[0];
    if (record === undefined) throw new LibvirtError(ErrorCode.NO_DOMAIN, `no statistics returned for domain ${this.name}`);
    return parseDomainStats(record);
  }

  /**
   * flags: SnapshotCreateFlags. Runs on a thread of its own (can be long).
   * Caller to come: snapshots (issue 14).
   */
  async createSnapshot(xml: string, options?: CreateOptions<DomainSnapshot>): Promise<DomainSnapshot> {
    const late = options?.onLateResult;
    const ref = await this.connection.invoke(
      'snapshotCreate',
      [this.handle, xml, options?.flags ?? 0],
      options,
      'long',
      late && ((created) => late(new DomainSnapshot(this.connection, this.name, created))),
    );
    return new DomainSnapshot(this.connection, this.name, ref);
  }

  /** Caller to come: snapshots (issue 14). */
  async listSnapshots(options?: FlagOptions): Promise<DomainSnapshot[]> {
    const refs = await this.connection.invoke('snapshotList', [this.handle, options?.flags ?? 0], options);
    return refs.map((ref) => new DomainSnapshot(this.connection, this.name, ref));
  }

  /** Caller to come: snapshots (issue 14). */
  async lookupSnapshot(name: string, options?: CallOptions): Promise<DomainSnapshot> {
    return new DomainSnapshot(
      this.connection,
      this.name,
      await this.connection.invoke('snapshotLookup', [this.handle, name], options),
    );
  }

  /** The domain's QEMU guest agent (agent.ts): calls on the guest agent connections, one at a time per domain. */
  agent(): GuestAgent {
    return new GuestAgent(this);
  }

  /** Opens the domain's console as a Duplex byte stream (console.ts); close() or destroy() ends it. */
  async openConsole(options: ConsoleOpenOptions = {}): Promise<ConsoleSession> {
    return new ConsoleSession().open(this.connection, this.handle, options);
  }
}

export type { DomainStats };
