import { EventEmitter } from 'node:events';
import type { Logger } from '../core/log.js';
import type { ProviderState, ProviderStatus } from '../core/provider.js';
import type { OpenOptions } from '../libvirt/index.js';
import { redactLibvirtUri } from '../libvirt/uri.js';
import { backoffDelay } from './backoff.js';

/** What the manager needs of a libvirt connection (the binding's Connection satisfies it). */
export interface ManagedConnection extends EventEmitter {
  close(): Promise<void>;
  getHostname(options?: { timeoutMs?: number }): Promise<string>;
}

export interface HypervisorEndpoint {
  name: string;
  url: string;
  keepaliveInterval: number;
  keepaliveCount: number;
  callTimeoutMs: number;
  longCallTimeoutMs: number;
}

export interface ConnectionManagerOptions<C extends ManagedConnection> {
  open: (uri: string, options: Required<OpenOptions>) => Promise<C>;
  logger: Logger;
  /** How often a connected hypervisor is asked for a sign of life. */
  probeIntervalMs?: number;
  probeTimeoutMs?: number;
  /** Failed probes in a row that make a hypervisor unavailable (default 2). */
  probeFailuresAllowed?: number;
  /** How soon a probe follows a failed one, or a caller's suspicion (default 0.5 s). */
  probeRetryMs?: number;
  openTimeoutMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

/** Thrown by `get` for a hypervisor that cannot be used right now; the HTTP layer answers 503. */
export class HypervisorUnavailableError extends Error {
  constructor(readonly status: ProviderStatus) {
    super(
      `hypervisor ${status.name} is ${status.state}${status.error ? `: ${status.error}` : ''} (since ${status.since.toISOString()})`,
    );
  }
}

export class UnknownHypervisorError extends Error {
  constructor(readonly hypervisor: string) {
    super(`provider '${hypervisor}' not found`);
  }
}

interface Slot<C> {
  endpoint: HypervisorEndpoint;
  state: ProviderState;
  error?: string;
  since: Date;
  conn?: C;
  detach?: () => void;
  attempt: number;
  generation: number;
  timer?: NodeJS.Timeout;
  /** Probes failed in a row on the current connection. */
  failedProbes: number;
  probing: boolean;
}

export interface ConnectionManagerEvents {
  status: [ProviderStatus];
  /** A connection (re)opened: caches of that hypervisor should resync. */
  connected: [string];
  domainEvent: [string, unknown];
}

/**
 * Keeps one live libvirt connection per configured hypervisor. A connection that
 * closes (keepalive lost, EOF) or fails `probeFailuresAllowed` liveness probes in a row is marked unavailable at
 * once and re-opened in the background with backoff; its domain events are
 * re-emitted from whichever connection is current, so listeners survive reconnects.
 */
export class ConnectionManager<C extends ManagedConnection> extends EventEmitter<ConnectionManagerEvents> {
  private readonly slots = new Map<string, Slot<C>>();
  private stopped = false;
  private readonly probeIntervalMs: number;
  private readonly probeTimeoutMs: number;
  private readonly probeFailuresAllowed: number;
  private readonly probeRetryMs: number;
  private readonly openTimeoutMs: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;

  constructor(
    endpoints: readonly HypervisorEndpoint[],
    private readonly options: ConnectionManagerOptions<C>,
  ) {
    super();
    this.probeIntervalMs = options.probeIntervalMs ?? 5_000;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 4_000;
    this.probeFailuresAllowed = Math.max(1, options.probeFailuresAllowed ?? 2);
    this.probeRetryMs = options.probeRetryMs ?? 500;
    this.openTimeoutMs = options.openTimeoutMs ?? 8_000;
    this.backoffInitialMs = options.backoffInitialMs ?? 500;
    this.backoffMaxMs = options.backoffMaxMs ?? 4_000;
    for (const endpoint of endpoints) {
      this.slots.set(endpoint.name, {
        endpoint,
        state: 'connecting',
        since: new Date(),
        attempt: 0,
        generation: 0,
        failedProbes: 0,
        probing: false,
      });
    }
  }

  /** Starts connecting to every hypervisor; does not wait for any of them. */
  start(): void {
    for (const slot of this.slots.values()) this.connect(slot);
  }

  names(): string[] {
    return [...this.slots.keys()];
  }

  status(name: string): ProviderStatus {
    return this.describe(this.slot(name));
  }

  statuses(): ProviderStatus[] {
    return [...this.slots.values()].map((slot) => this.describe(slot));
  }

  /** The live connection, or HypervisorUnavailableError / UnknownHypervisorError. */
  get(name: string): C {
    const slot = this.slot(name);
    if (slot.state !== 'connected' || !slot.conn) throw new HypervisorUnavailableError(this.describe(slot));
    return slot.conn;
  }

  /** Resolves once every hypervisor has either connected or failed at least once (for start-up and tests). */
  async settled(timeoutMs = this.openTimeoutMs + 1_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ([...this.slots.values()].some((s) => s.state === 'connecting') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * Reports a failure seen by a caller (e.g. a call that hit its deadline or lost the
   * connection) so the manager does not wait for its own probe to notice.
   */
  reportFailure(name: string, conn: C, reason: string): void {
    const slot = this.slots.get(name);
    if (slot && slot.conn === conn) this.lose(slot, reason);
  }

  /**
   * A call on this hypervisor missed its deadline: that call failed, but one slow call says
   * nothing about the host (a busy disk, a guest agent that never answers). Probe it soon; only
   * probes failing in a row make it unavailable.
   */
  suspect(name: string, conn: C): void {
    const slot = this.slots.get(name);
    if (!slot || slot.conn !== conn || slot.probing) return;
    this.scheduleProbe(slot, conn, this.probeRetryMs);
  }

  async close(): Promise<void> {
    this.stopped = true;
    const closing: Promise<unknown>[] = [];
    for (const slot of this.slots.values()) {
      clearTimeout(slot.timer);
      slot.generation++;
      slot.detach?.();
      if (slot.conn) closing.push(boundedClose(slot.conn));
      slot.conn = undefined;
    }
    await Promise.all(closing);
  }

  private slot(name: string): Slot<C> {
    const slot = this.slots.get(name);
    if (!slot) throw new UnknownHypervisorError(name);
    return slot;
  }

  private describe(slot: Slot<C>): ProviderStatus {
    return {
      name: slot.endpoint.name,
      uri: redactLibvirtUri(slot.endpoint.url),
      state: slot.state,
      ...(slot.error ? { error: slot.error } : {}),
      since: slot.since,
    };
  }

  private setState(slot: Slot<C>, state: ProviderState, error?: string): void {
    const changed = slot.state !== state || slot.error !== error;
    if (slot.state !== state) slot.since = new Date();
    slot.state = state;
    slot.error = error;
    if (changed) {
      const status = this.describe(slot);
      const log = state === 'unavailable' ? this.options.logger.warn : this.options.logger.info;
      log.call(this.options.logger, { hypervisor: status.name, uri: status.uri, state, error }, 'hypervisor connection state');
      this.emit('status', status);
    }
  }

  private connect(slot: Slot<C>): void {
    if (this.stopped) return;
    const generation = ++slot.generation;
    const { endpoint } = slot;
    this.options
      .open(endpoint.url, {
        keepaliveInterval: endpoint.keepaliveInterval,
        keepaliveCount: endpoint.keepaliveCount,
        callTimeoutMs: endpoint.callTimeoutMs,
        longCallTimeoutMs: endpoint.longCallTimeoutMs,
        openTimeoutMs: this.openTimeoutMs,
      })
      .then(
        (conn) => {
          if (this.stopped || generation !== slot.generation) {
            void boundedClose(conn);
            return;
          }
          this.adopt(slot, conn);
        },
        (err: unknown) => {
          if (this.stopped || generation !== slot.generation) return;
          this.setState(slot, 'unavailable', errorText(err));
          this.scheduleReconnect(slot);
        },
      );
  }

  private adopt(slot: Slot<C>, conn: C): void {
    const onClosed = (event?: unknown) => this.lose(slot, `connection closed${closedReasonText(event)}`);
    // A missed deadline fails its call only; it makes the next probe come sooner.
    const onTimeout = () => this.suspect(slot.endpoint.name, conn);
    const onDomainEvent = (event: unknown) => this.emit('domainEvent', slot.endpoint.name, event);
    conn.on('closed', onClosed);
    conn.on('timeout', onTimeout);
    conn.on('domainEvent', onDomainEvent);
    slot.detach = () => {
      conn.off('closed', onClosed);
      conn.off('timeout', onTimeout);
      conn.off('domainEvent', onDomainEvent);
    };
    slot.conn = conn;
    slot.attempt = 0;
    slot.failedProbes = 0;
    this.setState(slot, 'connected');
    this.emit('connected', slot.endpoint.name);
    this.scheduleProbe(slot, conn);
  }

  private lose(slot: Slot<C>, reason: string): void {
    const conn = slot.conn;
    if (!conn || this.stopped) return;
    slot.detach?.();
    slot.detach = undefined;
    slot.conn = undefined;
    clearTimeout(slot.timer);
    // The old connection may be stuck behind a hung call: close it without waiting.
    void boundedClose(conn);
    this.setState(slot, 'unavailable', reason);
    this.scheduleReconnect(slot);
  }

  private scheduleReconnect(slot: Slot<C>): void {
    if (this.stopped) return;
    clearTimeout(slot.timer);
    const delay = backoffDelay(slot.attempt++, this.backoffInitialMs, this.backoffMaxMs);
    slot.timer = setTimeout(() => this.connect(slot), delay);
    slot.timer.unref();
  }

  private scheduleProbe(slot: Slot<C>, conn: C, delayMs = this.probeIntervalMs): void {
    clearTimeout(slot.timer);
    slot.timer = setTimeout(() => {
      if (slot.conn !== conn) return;
      slot.probing = true;
      conn.getHostname({ timeoutMs: this.probeTimeoutMs }).then(
        () => {
          slot.probing = false;
          if (slot.conn !== conn) return;
          slot.failedProbes = 0;
          this.scheduleProbe(slot, conn);
        },
        (err: unknown) => {
          slot.probing = false;
          if (slot.conn !== conn) return;
          slot.failedProbes++;
          if (slot.failedProbes >= this.probeFailuresAllowed) {
            this.lose(slot, `liveness probe failed ${slot.failedProbes} times in a row: ${errorText(err)}`);
          } else {
            this.scheduleProbe(slot, conn, this.probeRetryMs);
          }
        },
      );
    }, delayMs);
    slot.timer.unref();
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** ': <why>' for a 'closed' event, which libvirt connections emit as { reason: 'keepalive' | 'eof' | 'error' | 'unknown' }. */
function closedReasonText(event: unknown): string {
  const reason =
    typeof event === 'object' && event !== null && !(event instanceof Error) && 'reason' in event
      ? (event as { reason: unknown }).reason
      : event;
  return reason ? `: ${errorText(reason)}` : '';
}

/** Closes a connection but never waits more than a moment: a hung host must not hold up the caller. */
async function boundedClose(conn: ManagedConnection, waitMs = 2_000): Promise<void> {
  await Promise.race([conn.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, waitMs).unref())]);
}
