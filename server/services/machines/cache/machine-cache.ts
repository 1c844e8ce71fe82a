/**
 * The machine list of one hypervisor, kept current by libvirt domain events (which mark it stale),
 * a periodic resync and a resync whenever the connection (re)opens. A read of a stale list waits
 * for one bulk refresh, but never longer than the hypervisor's deadline: then it gets the last
 * known list and the reason it is not current.
 */
import type { HypervisorConfig } from '../../../config/index.js';
import type { Logger } from '../../../core/log.js';
import type { Machine } from '../../../core/machine.js';
import { machinesFromSnapshot, ParsedDomains } from './machines-from-snapshot.js';
import { fillRootDiskSizes, takeSnapshot } from './hypervisor-snapshot.js';
import type { Connection } from '../../../libvirt/index.js';

export interface CachedList {
  /** Deeply frozen; shared by every reader. */
  machines: readonly Machine[];
  /** Bumped whenever `machines` is a different list (see MachineListSnapshot in the service contract). */
  version: number;
  /** When the list was read from the hypervisor; undefined if it never was. */
  fetchedAt?: Date;
  /** Why the list is not current (the refresh failed or missed its deadline). */
  error?: string;
}

export interface MachineCacheOptions {
  hv: HypervisorConfig;
  logger: Logger;
  clock: () => Date;
  /** The live connection, or throws (unavailable / unknown). */
  connection: () => Connection;
  /** Called with the connection and error when a refresh fails. */
  onFailure: (conn: Connection, err: unknown) => void;
  /** How long a read waits for a refresh; the hypervisor's call deadline by default. */
  readDeadlineMs?: number;
  /** How soon after a domain event the list is refreshed in the background. */
  eventDelayMs?: number;
  /** Called after each successful refresh (the service hands freed native memory back then). */
  afterRefresh?: () => void;
}

/** Plain data (strings, numbers, booleans, undefined, arrays and objects of these) compared by value. */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  for (let i = 0; i < keysA.length; i++) {
    const key = keysA[i]!;
    if (key !== keysB[i] || !sameData((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

function freezeDeep<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) freezeDeep(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * The new list, frozen, made of the previous list's objects wherever a machine did not change (and
 * the previous array itself when nothing did): a machine object never changes once listed, so what
 * readers make of one (its JSON text) can be kept beside it.
 */
function keepUnchanged(previous: readonly Machine[], next: Machine[]): readonly Machine[] {
  const before = new Map(previous.map((m) => [m.id, m]));
  let same = previous.length === next.length;
  const list = next.map((machine, i) => {
    const old = before.get(machine.id);
    if (old && sameData(old, machine)) {
      if (previous[i] !== old) same = false;
      return old;
    }
    same = false;
    return freezeDeep(machine);
  });
  return same ? previous : Object.freeze(list);
}

export class MachineCache {
  /** Deeply frozen, as are its machines: readers share them. */
  private machines: readonly Machine[] = Object.freeze([]);
  private version = 0;
  /** Domain XML already read, by digest, so a resync parses only what changed. */
  private readonly parsed = new ParsedDomains();
  private fetchedAt: Date | undefined;
  private lastError: string | undefined;
  /** Bumped whenever the hypervisor's domains may have changed; a refresh is current only if it saw the latest. */
  private generation = 0;
  private freshGeneration = -1;
  private inflight: Promise<void> | undefined;
  private eventTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: MachineCacheOptions) {}

  get isFresh(): boolean {
    return this.freshGeneration === this.generation;
  }

  /** Something changed (a domain event, or this process changed a domain): the next read refreshes. */
  invalidate(): void {
    this.generation++;
  }

  /** A domain event: mark stale and refresh soon in the background so the next read is quick. */
  onDomainEvent(): void {
    this.invalidate();
    if (this.eventTimer || this.closed) return;
    this.eventTimer = setTimeout(() => {
      this.eventTimer = undefined;
      void this.refresh().catch(() => undefined);
    }, this.options.eventDelayMs ?? 200);
    this.eventTimer.unref();
  }

  /** A background resync (periodic, or the connection reopened). */
  resync(): void {
    this.invalidate();
    void this.refresh().catch(() => undefined);
  }

  /** The last known list without waiting. */
  peek(): CachedList {
    return { machines: this.machines, version: this.version, fetchedAt: this.fetchedAt, error: this.lastError };
  }

  /** The current list, refreshing first when stale (bounded by the read deadline). */
  async read(): Promise<CachedList> {
    if (!this.isFresh) {
      const deadlineMs = this.options.readDeadlineMs ?? this.options.hv.callTimeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), deadlineMs);
        timer.unref();
      });
      try {
        const outcome = await Promise.race([
          this.refresh().then(
            () => 'done' as const,
            () => 'failed' as const,
          ),
          deadline,
        ]);
        if (outcome === 'late') {
          return { ...this.peek(), error: `provider '${this.options.hv.name}' did not answer within ${deadlineMs} ms` };
        }
      } finally {
        clearTimeout(timer);
      }
    }
    return this.peek();
  }

  /** One bulk read; concurrent callers share it. A refresh started after an invalidation always runs. */
  refresh(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const target = this.generation;
    const current = this.inflight;
    if (current) {
      // The running read may predate the change that made the list stale: chain one more after it.
      return current.then(
        () => (this.freshGeneration >= target ? undefined : this.refresh()),
        () => (this.freshGeneration >= target ? undefined : this.refresh()),
      );
    }
    const run = this.load(target).finally(() => {
      if (this.inflight === run) this.inflight = undefined;
    });
    this.inflight = run;
    return run;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.eventTimer);
  }

  private async load(target: number): Promise<void> {
    const { hv, logger, clock } = this.options;
    let conn: Connection;
    try {
      conn = this.options.connection();
    } catch (err) {
      this.lastError = (err as Error).message;
      throw err;
    }
    try {
      const snapshot = await takeSnapshot(conn, hv);
      const { machines, skipped } = machinesFromSnapshot(hv.name, snapshot, hv.ignoreVms, clock(), this.parsed);
      await fillRootDiskSizes(conn, snapshot, machines);
      for (const problem of snapshot.problems) logger.warn({ hypervisor: hv.name, problem }, 'machine list is incomplete');
      for (const skip of skipped) logger.warn({ hypervisor: hv.name, domain: skip.name, reason: skip.reason }, 'skipping domain');
      const list = keepUnchanged(this.machines, machines);
      if (list !== this.machines) {
        this.machines = list;
        this.version++;
      }
      this.fetchedAt = clock();
      this.lastError = undefined;
      this.freshGeneration = Math.max(this.freshGeneration, target);
      this.options.afterRefresh?.();
    } catch (err) {
      this.lastError = (err as Error).message;
      this.options.onFailure(conn, err);
      logger.warn({ hypervisor: hv.name, error: this.lastError }, 'failed to list machines');
      throw err;
    }
  }
}
