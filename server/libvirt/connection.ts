import { EventEmitter } from 'node:events';

import { ErrorCode, LibvirtError, toLibvirtError } from './errors.js';
import type { CallKind, CallOptions, CreateOptions, Invoker, NativeArgs } from './invoker.js';
import { Domain, type DomainListEntry } from './domain.js';
import { toDomainEvent, type DomainEvent } from './events.js';
import {
  loadNative,
  type NativeBinding,
  type NativeConnectionObject,
  type NativeMethodName,
  type NativeNodeInfo,
} from './native.js';
import { Network, type NetworkListEntry } from './network.js';
import { parseDomainStats, type DomainStats } from './stats.js';
import { StoragePool, type StoragePoolListEntry } from './storage-pool.js';
import { StorageVolume } from './storage-volume.js';
import { DomainStatsTypes, ListDomainsFlags } from './constants.js';
import { nonInteractiveUri, redactLibvirtUri } from './uri.js';
import { normalizeUuid } from './uuid.js';

export interface OpenOptions {
  /** Seconds between keepalive probes on remote connections; 0 disables. Default 5. */
  keepaliveInterval?: number;
  /** Unanswered probes before the connection is declared dead. Default 3. */
  keepaliveCount?: number;
  /** Default deadline of ordinary calls. Default 15 000 ms. */
  callTimeoutMs?: number;
  /** Default deadline of clone/upload/download/resize. Default 600 000 ms. */
  longCallTimeoutMs?: number;
  /** Deadline of opening the connection. Default 30 000 ms. */
  openTimeoutMs?: number;
}

export interface ClosedEvent {
  /** 'keepalive' | 'eof' | 'error' | 'unknown': why libvirt reported the connection closed. */
  reason: string;
}

export interface TimeoutEvent {
  call: string;
  timeoutMs: number;
}

export interface VersionInfo {
  /** libvirt library version on the client side, e.g. "9.0.0", and as a number (9000000). */
  libVersion: string;
  libVersionNumber: number;
  /** Hypervisor version, e.g. "7.2.0" for QEMU 7.2, and as a number. */
  hypervisorVersion: string;
  hypervisorVersionNumber: number;
  hypervisorType: string | null;
}

export type NodeInfo = NativeNodeInfo;

export interface ListAllDomainsOptions extends CallOptions {
  /** Include each domain's XML (default true). */
  withXml?: boolean;
  /** DomainXmlFlags for the XML (default 0). */
  xmlFlags?: number;
  /** ListDomainsFlags filter (default 0: all, active and inactive). */
  flags?: number;
}

export interface ConnectionEvents {
  closed: [ClosedEvent];
  timeout: [TimeoutEvent];
  domainEvent: [DomainEvent];
}

const DEFAULTS = {
  keepaliveInterval: 5,
  keepaliveCount: 3,
  callTimeoutMs: 15_000,
  longCallTimeoutMs: 600_000,
  openTimeoutMs: 30_000,
};

/** "9000000" style version numbers as "9.0.0". */
export function formatVersion(version: number): string {
  const major = Math.floor(version / 1_000_000);
  const minor = Math.floor((version % 1_000_000) / 1000);
  return `${major}.${minor}.${version % 1000}`;
}

function checkNonNegativeInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new LibvirtError(ErrorCode.INVALID_ARG, `${name} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

/**
 * One libvirt connection. Every call runs on the connection's own native thread and
 * has a deadline; see docs/libvirt-api.md.
 */
export class Connection extends EventEmitter<ConnectionEvents> implements Invoker {
  readonly uri: string;
  /** The URI as error messages show it: without key file paths or passwords. */
  private readonly shownUri: string;
  readonly callTimeoutMs: number;
  readonly longCallTimeoutMs: number;
  private readonly binding: NativeBinding;
  private readonly native: NativeConnectionObject;
  private nextJobId = 1;
  private state: 'opening' | 'open' | 'lost' | 'closed' = 'opening';
  private lostReason: string | undefined;
  private eventsSubscription: Promise<void> | undefined;

  /** Use openConnection(). */
  constructor(uri: string, options: Required<Pick<OpenOptions, 'callTimeoutMs' | 'longCallTimeoutMs'>>) {
    super();
    this.uri = uri;
    this.shownUri = redactLibvirtUri(uri);
    this.callTimeoutMs = options.callTimeoutMs;
    this.longCallTimeoutMs = options.longCallTimeoutMs;
    this.binding = loadNative();
    this.native = new this.binding.NativeConnection(notifyThrough(new WeakRef(this)));
    (this as EventEmitter).on('newListener', (event: string | symbol) => {
      if (event === 'domainEvent') this.subscribeDomainEvents().catch(() => undefined);
    });
  }

  /** False once the connection was lost or closed. */
  get isOpen(): boolean {
    return this.state === 'open';
  }

  get status(): 'opening' | 'open' | 'lost' | 'closed' {
    return this.state;
  }

  /** @internal Runs a native method on this connection's thread with a deadline. */
  invoke<M extends NativeMethodName>(
    method: M,
    args: NativeArgs<M>,
    options: CallOptions | undefined,
    kind: CallKind = 'ordinary',
    late?: (value: Awaited<ReturnType<NativeBinding[M]>>) => void,
    ended?: () => void,
  ): ReturnType<NativeBinding[M]> {
    return this.run(
      method,
      args as unknown[],
      options,
      kind,
      late as ((value: unknown) => void) | undefined,
      ended,
    ) as ReturnType<NativeBinding[M]>;
  }

  private run(
    method: NativeMethodName,
    args: unknown[],
    options: CallOptions | undefined,
    kind: CallKind,
    late?: (value: unknown) => void,
    ended?: () => void,
  ): Promise<unknown> {
    const job = this.startJob(method, args, options, kind, late, ended);
    // No job started (refused before the native call): it has ended too.
    if (job.refused) ended?.();
    return job.promise;
  }

  private startJob(
    method: NativeMethodName,
    args: unknown[],
    options: CallOptions | undefined,
    kind: CallKind,
    late?: (value: unknown) => void,
    ended?: () => void,
  ): { promise: Promise<unknown>; refused?: true } {
    const refuse = (err: unknown): { promise: Promise<unknown>; refused: true } => ({
      promise: Promise.reject(err),
      refused: true,
    });
    if (this.state === 'closed' && method !== 'close') {
      return refuse(
        new LibvirtError(ErrorCode.CONNECTION_CLOSED, `${method}: connection to ${this.shownUri} is closed`, { call: method }),
      );
    }
    if (this.state === 'lost' && method !== 'close') {
      return refuse(
        new LibvirtError(
          ErrorCode.CONNECTION_LOST,
          `${method}: connection to ${this.shownUri} lost (${this.lostReason ?? 'unknown'})`,
          {
            call: method,
          },
        ),
      );
    }
    let timeoutMs: number;
    try {
      timeoutMs = checkNonNegativeInteger(
        'timeoutMs',
        options?.timeoutMs,
        kind === 'long' ? this.longCallTimeoutMs : this.callTimeoutMs,
      );
    } catch (err) {
      return refuse(err);
    }
    const jobId = this.nextJobId;
    this.nextJobId = this.nextJobId >= 0xffff_fff0 ? 1 : this.nextJobId + 1;
    const fn = this.binding[method] as (conn: NativeConnectionObject, id: number, ...rest: unknown[]) => Promise<unknown>;
    let pending: Promise<unknown>;
    try {
      pending = fn(this.native, jobId, ...args);
    } catch (err) {
      return refuse(toLibvirtError(err, method));
    }
    if (ended !== undefined) void pending.then(ended, ended);
    let settled = pending.then(
      (value) => value,
      (err: unknown) => {
        throw toLibvirtError(err, method);
      },
    );
    const signal = options?.signal;
    if (signal !== undefined) settled = this.abortable(settled, signal, jobId, method, ended !== undefined);
    if (timeoutMs === 0) return { promise: settled };
    const promise = new Promise((resolve, reject) => {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        // The job keeps running natively. Its late result is discarded by the addon, or handed to
        // `late` (a call that creates something undoes it: the caller was told it failed).
        this.native.abandon(jobId, late !== undefined || ended !== undefined);
        reject(
          new LibvirtError(ErrorCode.TIMEOUT, `${method} on ${this.shownUri} did not complete within ${timeoutMs} ms`, {
            call: method,
          }),
        );
        this.emit('timeout', { call: method, timeoutMs });
      }, timeoutMs);
      timer.unref();
      settled.then(
        (value) => {
          clearTimeout(timer);
          if (!timedOut) resolve(value);
          else if (late) {
            try {
              late(value);
            } catch {
              // the undo reports its own failures
            }
          }
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
    return { promise };
  }

  private abortable(
    settled: Promise<unknown>,
    signal: AbortSignal,
    jobId: number,
    method: string,
    keepLate: boolean,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.native.abandon(jobId, keepLate);
        reject(new LibvirtError(ErrorCode.OPERATION_ABORTED, `${method} was abandoned by its caller`, { call: method }));
      };
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      settled.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }

  /** @internal */
  onNotify(type: string, payload: unknown): void {
    if (type === 'closed') {
      if (this.state === 'closed') return;
      const reason = (payload as { reason?: string }).reason ?? 'unknown';
      this.state = 'lost';
      this.lostReason = reason;
      this.emit('closed', { reason });
    } else if (type === 'domainEvent') {
      const event = toDomainEvent(payload);
      if (event !== undefined) this.emit('domainEvent', event);
    }
  }

  /** @internal */
  async openNative(options: OpenOptions): Promise<void> {
    const keepaliveInterval = checkNonNegativeInteger('keepaliveInterval', options.keepaliveInterval, DEFAULTS.keepaliveInterval);
    const keepaliveCount = checkNonNegativeInteger('keepaliveCount', options.keepaliveCount, DEFAULTS.keepaliveCount);
    const openTimeoutMs = checkNonNegativeInteger('openTimeoutMs', options.openTimeoutMs, DEFAULTS.openTimeoutMs);
    try {
      await this.invoke('open', [nonInteractiveUri(this.uri), keepaliveInterval, keepaliveCount], { timeoutMs: openTimeoutMs });
      this.state = 'open';
    } catch (err) {
      // Queued behind the open: releases the connection if it opens after the deadline.
      this.close({ timeoutMs: 0 }).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Closes the connection: deregisters events and calls virConnectClose on the
   * connection's thread. Pending and later calls reject with CONNECTION_CLOSED.
   * Does not emit 'closed' (that event means the connection was lost).
   */
  async close(options?: CallOptions): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    try {
      await this.run('close', [], options, 'ordinary');
    } catch (err) {
      // A close that cannot finish (hung hypervisor) still leaves this object closed.
      if (!(err instanceof LibvirtError && err.code === ErrorCode.TIMEOUT)) throw err;
    }
  }

  /** Registers this connection for domain events (done automatically on the first 'domainEvent' listener). */
  subscribeDomainEvents(options?: CallOptions): Promise<void> {
    if (this.eventsSubscription === undefined) {
      this.eventsSubscription = this.invoke('domainEventsSubscribe', [], options).catch((err: unknown) => {
        this.eventsSubscription = undefined;
        throw err;
      });
    }
    return this.eventsSubscription;
  }

  /**
   * Opens, in the background, the side connection the next console will use (consoles run on
   * connections of their own: console.ts), so that opening it waits for no SSH handshake. Unused,
   * it closes after five minutes. Nothing for in-process drivers.
   */
  warmConsole(): void {
    this.native.warmConsole();
  }

  /** Number of calls still waiting for the native side. */
  get pendingCalls(): number {
    return this.native.pendingCount();
  }

  getHostname(options?: CallOptions): Promise<string> {
    return this.invoke('getHostname', [], options);
  }

  async getVersion(options?: CallOptions): Promise<VersionInfo> {
    const v = await this.invoke('getVersions', [], options);
    return {
      libVersion: formatVersion(v.libVersion),
      libVersionNumber: v.libVersion,
      hypervisorVersion: formatVersion(v.hypervisorVersion),
      hypervisorVersionNumber: v.hypervisorVersion,
      hypervisorType: v.hypervisorType,
    };
  }

  /**
   * libvirt library version, e.g. "9.0.0".
   * Caller to come: the host metrics (issue 17: CPU count and speed per hypervisor).
   */
  getNodeInfo(options?: CallOptions): Promise<NodeInfo> {
    return this.invoke('getNodeInfo', [], options);
  }

  /** Host memory in KiB: { total, free, buffers, cached }. */
  getNodeMemoryStats(options?: CallOptions): Promise<Record<string, number>> {
    return this.invoke('getNodeMemoryStats', [], options);
  }

  /** Caller to come: snapshots refuse what this libvirt cannot do (issue 14) and containers find the LXC driver (issue 19). */
  getCapabilities(options?: CallOptions): Promise<string> {
    return this.invoke('getCapabilities', [], options);
  }

  /** Every domain (active and inactive) with state and XML, in one native call. */
  async listAllDomains(options: ListAllDomainsOptions = {}): Promise<DomainListEntry[]> {
    const entries = await this.invoke(
      'listAllDomains',
      [options.flags ?? 0, options.withXml ?? true, options.xmlFlags ?? 0],
      options,
    );
    return entries.map((entry) => Domain.listEntry(this, entry));
  }

  async lookupDomainByName(name: string, options?: CallOptions): Promise<Domain> {
    return new Domain(this, await this.invoke('domainLookupByName', [name], options));
  }

  /** Accepts dashed UUIDs and 32 hex digits without dashes. */
  async lookupDomainByUuid(uuid: string, options?: CallOptions): Promise<Domain> {
    return new Domain(this, await this.invoke('domainLookupByUuid', [normalizeUuid(uuid)], options));
  }

  /** Defines (or redefines) a persistent domain. flags: DomainDefineFlags. */
  async defineDomain(xml: string, options?: CreateOptions<Domain>): Promise<Domain> {
    const late = options?.onLateResult;
    return new Domain(
      this,
      await this.invoke(
        'domainDefineXml',
        [xml, options?.flags ?? 0],
        options,
        'ordinary',
        late && ((ref) => late(new Domain(this, ref))),
      ),
    );
  }

  /**
   * Starts a transient domain from XML. flags: DomainStartFlags.
   * Caller to come: ephemeral containers, which libvirt runs as transient domains (issue 19).
   */
  async createDomain(xml: string, options?: CreateOptions<Domain>): Promise<Domain> {
    const late = options?.onLateResult;
    return new Domain(
      this,
      await this.invoke(
        'domainCreateXml',
        [xml, options?.flags ?? 0],
        options,
        'ordinary',
        late && ((ref) => late(new Domain(this, ref))),
      ),
    );
  }

  /** Statistics of every domain in one call; stats: DomainStatsTypes bits (default all common groups). */
  async getAllDomainStats(options?: CallOptions & { stats?: number; flags?: number }): Promise<DomainStats[]> {
    const records = await this.invoke('getAllDomainStats', [options?.stats ?? DEFAULT_STATS, options?.flags ?? 0], options);
    return records.map(parseDomainStats);
  }

  /** Caller to come: the storage pools page (issue 20). */
  async listAllStoragePools(options?: CallOptions & { flags?: number }): Promise<StoragePoolListEntry[]> {
    const entries = await this.invoke('listAllStoragePools', [options?.flags ?? 0], options);
    return entries.map((entry) => ({
      pool: new StoragePool(this, entry),
      name: entry.name,
      uuid: entry.uuid,
      active: entry.active,
      xml: entry.xml,
    }));
  }

  async lookupStoragePoolByName(name: string, options?: CallOptions): Promise<StoragePool> {
    return new StoragePool(this, await this.invoke('poolLookupByName', [name], options));
  }

  async lookupStorageVolumeByPath(path: string, options?: CallOptions): Promise<StorageVolume> {
    return new StorageVolume(this, await this.invoke('volLookupByPath', [path], options));
  }

  /** Caller to come: volumes addressed by key in the storage API (issue 20). */
  async lookupStorageVolumeByKey(key: string, options?: CallOptions): Promise<StorageVolume> {
    return new StorageVolume(this, await this.invoke('volLookupByKey', [key], options));
  }

  /** Caller to come: the networks page (issue 20). */
  async listAllNetworks(options?: CallOptions & { flags?: number }): Promise<NetworkListEntry[]> {
    const entries = await this.invoke('listAllNetworks', [options?.flags ?? 0], options);
    return entries.map((entry) => ({
      network: new Network(this, entry),
      name: entry.name,
      uuid: entry.uuid,
      active: entry.active,
      xml: entry.xml,
    }));
  }

  async lookupNetworkByName(name: string, options?: CallOptions): Promise<Network> {
    return new Network(this, await this.invoke('networkLookupByName', [name], options));
  }
}

/**
 * The native side holds its notify callback strongly. Built outside the class so the
 * closure cannot capture `this`: a forgotten Connection must stay collectable, so the
 * addon's finalizer can close it.
 */
function notifyThrough(target: WeakRef<Connection>): (type: string, payload: unknown) => void {
  return (type, payload) => target.deref()?.onNotify(type, payload);
}

const DEFAULT_STATS =
  DomainStatsTypes.STATE |
  DomainStatsTypes.CPU_TOTAL |
  DomainStatsTypes.BALLOON |
  DomainStatsTypes.VCPU |
  DomainStatsTypes.INTERFACE |
  DomainStatsTypes.BLOCK;

// Re-exported so callers filtering listAllDomains do not need a second import.
export { ListDomainsFlags };

/**
 * Opens a libvirt connection without interactive authentication, on the
 * connection's own native thread, within openTimeoutMs.
 */
export async function openConnection(uri: string, options: OpenOptions = {}): Promise<Connection> {
  if (typeof uri !== 'string' || uri.length === 0) {
    throw new LibvirtError(ErrorCode.INVALID_ARG, 'uri must be a non-empty libvirt URI such as qemu:///system');
  }
  const connection = new Connection(uri, {
    callTimeoutMs: checkNonNegativeInteger('callTimeoutMs', options.callTimeoutMs, DEFAULTS.callTimeoutMs),
    longCallTimeoutMs: checkNonNegativeInteger('longCallTimeoutMs', options.longCallTimeoutMs, DEFAULTS.longCallTimeoutMs),
  });
  await connection.openNative(options);
  return connection;
}
