/**
 * Counts failed logins per key in fixed windows. The login guard counts a failure before the
 * password is checked and takes it back when the check succeeds, so attempts in flight at once
 * cannot all pass the limit before any of them is recorded.
 */
export interface FailureLimiterOptions {
  windowMs?: number;
  /** Keys remembered at most; the oldest windows go first (an attacker's spray cannot grow memory). */
  maxEntries?: number;
  now?: () => number;
}

export const DEFAULT_FAILURE_WINDOW_MS = 5 * 60_000;

interface Window {
  count: number;
  resetAt: number;
}

export class FailureLimiter {
  readonly windowMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(options: FailureLimiterOptions = {}) {
    this.windowMs = options.windowMs ?? DEFAULT_FAILURE_WINDOW_MS;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
    if (!(this.windowMs > 0) || !(this.maxEntries >= 1)) {
      throw new RangeError(`failure limiter needs windowMs > 0 and maxEntries ≥ 1 (got ${this.windowMs}, ${this.maxEntries})`);
    }
    this.sweeper = setInterval(() => this.sweep(), Math.min(this.windowMs, 60_000));
    this.sweeper.unref();
  }

  /** Failures of `key` in its current window. */
  count(key: string): number {
    return this.current(key)?.count ?? 0;
  }

  /** Whole seconds until `key`'s window ends (at least 1). */
  retryAfterSeconds(key: string): number {
    const window = this.current(key);
    return Math.max(1, Math.ceil(((window?.resetAt ?? this.now()) - this.now()) / 1000));
  }

  /** Records a failure; returns the count it makes. */
  hit(key: string): number {
    let window = this.current(key);
    if (!window) {
      window = { count: 0, resetAt: this.now() + this.windowMs };
      this.windows.delete(key);
      while (this.windows.size >= this.maxEntries) this.windows.delete(this.windows.keys().next().value as string);
      this.windows.set(key, window);
    }
    return ++window.count;
  }

  /** Takes back a failure `hit` counted (the check it stood for succeeded). */
  undo(key: string): void {
    const window = this.current(key);
    if (window && window.count > 0) window.count--;
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private current(key: string): Window | undefined {
    const window = this.windows.get(key);
    if (window && window.resetAt <= this.now()) {
      this.windows.delete(key);
      return undefined;
    }
    return window;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}
