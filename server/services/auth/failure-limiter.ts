/**
 * Counts failed logins per user name and per client address in fixed windows (express-rate-limit's
 * MemoryStore), so password guessing is slowed to `maxFailures` tries per window for each.
 * Only failures count: a client making many correct requests in parallel is never limited.
 */
import { MemoryStore, type Options as RateLimitOptions } from 'express-rate-limit';

export interface FailureLimiterOptions {
  maxFailures?: number;
  windowMs?: number;
}

export const DEFAULT_MAX_FAILURES = 10;
export const DEFAULT_FAILURE_WINDOW_MS = 5 * 60_000;

export interface Lockout {
  /** Whole seconds until the window that hit the limit ends (at least 1). */
  retryAfterSeconds: number;
}

export class FailureLimiter {
  readonly maxFailures: number;
  readonly windowMs: number;
  private readonly store = new MemoryStore();

  constructor(options: FailureLimiterOptions = {}) {
    this.maxFailures = options.maxFailures ?? DEFAULT_MAX_FAILURES;
    this.windowMs = options.windowMs ?? DEFAULT_FAILURE_WINDOW_MS;
    if (!Number.isInteger(this.maxFailures) || this.maxFailures < 1 || !(this.windowMs > 0)) {
      throw new RangeError(`failure limiter needs maxFailures ≥ 1 and windowMs > 0 (got ${this.maxFailures}, ${this.windowMs})`);
    }
    // MemoryStore reads only windowMs from the middleware options it is normally given.
    this.store.init({ windowMs: this.windowMs } as RateLimitOptions);
  }

  /** The lockout in force for any of these keys, if one is. */
  async lockout(keys: readonly string[]): Promise<Lockout | undefined> {
    let until = 0;
    for (const key of keys) {
      const info = await this.store.get(key);
      if (info && info.totalHits >= this.maxFailures)
        until = Math.max(until, info.resetTime?.getTime() ?? Date.now() + this.windowMs);
    }
    if (until === 0) return undefined;
    return { retryAfterSeconds: Math.max(1, Math.ceil((until - Date.now()) / 1000)) };
  }

  async recordFailure(keys: readonly string[]): Promise<void> {
    for (const key of keys) await this.store.increment(key);
  }

  /** Stops the store's cleanup timer. */
  close(): void {
    this.store.shutdown();
  }
}

export const userKey = (user: string): string => `user\0${user}`;
export const addressKey = (address: string): string => `addr\0${address}`;
