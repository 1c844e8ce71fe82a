/**
 * Webhook deliveries (README "Webhooks"): every journaled event a webhook names is POSTed to its
 * url, signed, from a bounded queue per webhook, one delivery at a time and in order. An attempt has
 * a short deadline; a failed one (no answer, not 2xx) is retried with exponential backoff and
 * jitter until it succeeds or runs out of attempts or age. Nothing here ever waits inside the
 * request that caused an event: the journal hands events over and the queues work on their own.
 * A full queue drops the new delivery (logged, counted, audited as webhook.drop); every attempt's
 * outcome is audited as webhook.delivery.
 */
import { randomUUID } from 'node:crypto';
import type { AuditSink } from '../../core/audit.js';
import type { EventFeed, JournalEvent } from '../../core/events.js';
import type { Logger } from '../../core/log.js';
import { VERSION } from '../../core/version.js';
import type { WebhookConfig } from '../../config/index.js';
import { backoffDelay } from '../../hypervisors/backoff.js';
import { SIGNATURE_HEADER, signatureHeader } from './signature.js';

export interface WebhookTuning {
  /** Deliveries waiting per webhook; past it new ones are dropped. */
  queueSize: number;
  /** One attempt's deadline (connect, send, answer). */
  attemptTimeoutMs: number;
  maxAttempts: number;
  /** A delivery older than this is not tried again. */
  maxAgeMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_WEBHOOK_TUNING: WebhookTuning = {
  queueSize: 1000,
  attemptTimeoutMs: 5_000,
  maxAttempts: 8,
  maxAgeMs: 60 * 60_000,
  backoffInitialMs: 1_000,
  backoffMaxMs: 5 * 60_000,
};

export interface WebhookStats {
  queued: number;
  delivered: number;
  failedAttempts: number;
  dropped: number;
}

export interface WebhookServiceDeps {
  feed: EventFeed;
  audit: AuditSink;
  logger: Logger;
  /** The delivery's body: the event's JSON (the same as GET /api/events/ sends). */
  render(event: JournalEvent): string;
  webhooks: readonly WebhookConfig[];
  tuning?: Partial<WebhookTuning>;
  clock?: () => number;
}

interface Delivery {
  id: string;
  event: JournalEvent;
  body: string;
  attempt: number;
  firstAt: number;
}

class Webhook {
  readonly queue: Delivery[] = [];
  readonly stats: WebhookStats = { queued: 0, delivered: 0, failedAttempts: 0, dropped: 0 };
  private running = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private inFlight: AbortController | undefined;

  constructor(
    public config: WebhookConfig,
    private readonly service: WebhookService,
  ) {}

  wants(event: JournalEvent): boolean {
    return this.config.events.includes(event.name);
  }

  enqueue(delivery: Delivery): void {
    if (this.stopped) return;
    if (this.queue.length >= this.service.tuning.queueSize) {
      this.stats.dropped++;
      this.service.dropped(this, delivery, `the queue is full (${this.service.tuning.queueSize} deliveries wait)`);
      return;
    }
    this.queue.push(delivery);
    this.stats.queued = this.queue.length;
    if (!this.running) void this.run();
  }

  stop(): number {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
    this.inFlight?.abort();
    const left = this.queue.length;
    this.queue.length = 0;
    this.stats.queued = 0;
    return left;
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (!this.stopped && this.queue.length > 0) {
        const delivery = this.queue[0]!;
        delivery.attempt++;
        this.inFlight = new AbortController();
        const ok = await this.service.attempt(this, delivery, this.inFlight.signal);
        this.inFlight = undefined;
        if (this.stopped) return;
        if (ok) {
          this.stats.delivered++;
          this.queue.shift();
        } else {
          this.stats.failedAttempts++;
          const { maxAttempts, maxAgeMs, backoffInitialMs, backoffMaxMs } = this.service.tuning;
          const delay = backoffDelay(delivery.attempt - 1, backoffInitialMs, backoffMaxMs);
          if (delivery.attempt >= maxAttempts || this.service.now() + delay - delivery.firstAt > maxAgeMs) {
            this.queue.shift();
            this.stats.dropped++;
            this.service.dropped(this, delivery, `gave up after ${delivery.attempt} attempts`);
          } else {
            await new Promise<void>((resolve) => {
              this.wake = resolve;
              this.timer = setTimeout(resolve, delay);
            });
            this.wake = undefined;
          }
        }
        this.stats.queued = this.queue.length;
      }
    } finally {
      this.running = false;
    }
  }
}

export class WebhookService {
  readonly tuning: WebhookTuning;
  private readonly hooks = new Map<string, Webhook>();
  private readonly unfollow: () => void;
  private readonly clock: () => number;

  constructor(private readonly deps: WebhookServiceDeps) {
    this.tuning = { ...DEFAULT_WEBHOOK_TUNING, ...deps.tuning };
    this.clock = deps.clock ?? Date.now;
    this.replace(deps.webhooks);
    this.unfollow = deps.feed.follow(undefined, (event) => this.take(event)).unsubscribe;
  }

  now(): number {
    return this.clock();
  }

  /** A reloaded config's webhooks: changed ones keep their queues, removed ones drop theirs. */
  replace(webhooks: readonly WebhookConfig[]): void {
    const names = new Set(webhooks.map((w) => w.name));
    for (const [name, hook] of this.hooks) {
      if (names.has(name)) continue;
      const left = hook.stop();
      this.hooks.delete(name);
      if (left > 0)
        this.deps.logger.warn(
          { webhook: name, dropped: left },
          'webhook removed from the config: its queued deliveries are dropped',
        );
    }
    for (const config of webhooks) {
      const hook = this.hooks.get(config.name);
      if (hook) hook.config = config;
      else this.hooks.set(config.name, new Webhook(config, this));
    }
  }

  stats(): Record<string, WebhookStats> {
    return Object.fromEntries([...this.hooks].map(([name, hook]) => [name, { ...hook.stats }]));
  }

  close(): void {
    this.unfollow();
    for (const hook of this.hooks.values()) hook.stop();
    this.hooks.clear();
  }

  private take(event: JournalEvent): void {
    let body: string | undefined;
    for (const hook of this.hooks.values()) {
      if (!hook.wants(event)) continue;
      body ??= this.deps.render(event);
      hook.enqueue({ id: randomUUID(), event, body, attempt: 0, firstAt: this.clock() });
    }
  }

  /** One POST; true when the receiver answered 2xx within the deadline. */
  async attempt(hook: Webhook, delivery: Delivery, stop: AbortSignal): Promise<boolean> {
    const { config } = hook;
    const started = this.clock();
    let status = 0;
    let error: string | undefined;
    // A timer of our own, not AbortSignal.timeout(): Node's timeout timer holds its signal weakly,
    // and so does AbortSignal.any() its sources — the signal can be collected before it fires, and
    // the attempt then waits forever (the clean-clone run of 7530e2c had one wait past 30 s).
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.tuning.attemptTimeoutMs);
    try {
      const t = Math.floor(Date.now() / 1000);
      const res = await fetch(config.url, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': `vmango/${VERSION}`,
          'X-Vmango-Event': delivery.event.name,
          'X-Vmango-Event-Id': delivery.event.id,
          'X-Vmango-Delivery': delivery.id,
          'X-Vmango-Attempt': String(delivery.attempt),
          [SIGNATURE_HEADER]: signatureHeader(config.secret, t, delivery.body),
        },
        body: delivery.body,
        signal: AbortSignal.any([stop, deadline.signal]),
      });
      status = res.status;
      // The answer's body is not needed: let the connection go.
      await res.body?.cancel().catch(() => undefined);
      if (status < 200 || status > 299) error = `the receiver answered ${status}`;
    } catch (err) {
      error = deadline.signal.aborted
        ? `no answer within ${this.tuning.attemptTimeoutMs} ms`
        : `could not deliver: ${((err as Error & { cause?: Error }).cause ?? (err as Error)).message}`;
    } finally {
      clearTimeout(timer);
    }
    if (stop.aborted) return false;
    this.deps.audit.record({
      time: new Date().toISOString(),
      action: 'webhook.delivery',
      outcome: error === undefined ? 'ok' : 'failed',
      durationMs: this.clock() - started,
      ...(error !== undefined ? { error } : {}),
      ...this.about(delivery.event),
      detail: {
        webhook: config.name,
        event: delivery.event.name,
        eventId: delivery.event.id,
        delivery: delivery.id,
        attempt: delivery.attempt,
        status,
      },
    });
    return error === undefined;
  }

  dropped(hook: Webhook, delivery: Delivery, reason: string): void {
    const { name } = hook.config;
    this.deps.logger.warn(
      {
        webhook: name,
        event: delivery.event.name,
        eventId: delivery.event.id,
        delivery: delivery.id,
        reason,
        dropped: hook.stats.dropped,
      },
      'webhook delivery dropped',
    );
    this.deps.audit.record({
      time: new Date().toISOString(),
      action: 'webhook.drop',
      outcome: 'failed',
      durationMs: 0,
      error: reason,
      ...this.about(delivery.event),
      detail: {
        webhook: name,
        event: delivery.event.name,
        eventId: delivery.event.id,
        delivery: delivery.id,
        attempt: delivery.attempt,
        dropped: hook.stats.dropped,
      },
    });
  }

  private about({ event }: JournalEvent): { provider: string; machine?: string; machineName?: string } {
    switch (event.type) {
      case 'provider':
        return { provider: event.provider.name };
      case 'machine':
        return { provider: event.machine.provider, machine: event.machine.id, machineName: event.machine.name };
      case 'machine-removed':
        return { provider: event.provider, machine: event.id, machineName: event.name };
    }
  }
}
