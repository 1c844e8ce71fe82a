/**
 * The one way a password is checked, for the API's headers and the login form alike.
 *
 * Limits count failures per (user name, client) and per client, where a client is an IPv4 address
 * or an IPv6 /64 (client-key.ts): guessing from one place is slowed, and failures from one place
 * never lock the user out elsewhere. A failure is counted before the password is checked and
 * taken back when it was right, so attempts in flight together cannot all pass the limit. bcrypt
 * runs on a bounded thread pool (bcrypt-pool.ts); when its queue is full the attempt is refused
 * as busy, not queued. Credentials verified a moment ago are let through without bcrypt.
 */
import type { UserConfig as FullUserConfig } from '../../config/index.js';

/** What checking a password needs of a user. */
type UserConfig = Pick<FullUserConfig, 'name' | 'passwordHash'>;
import { BcryptPool, PasswordChecksBusyError, type BcryptPoolOptions } from './bcrypt-pool.js';
import { clientKey } from './client-key.js';
import { CredentialCache, type CredentialCacheOptions } from './credential-cache.js';
import { DEFAULT_FAILURE_WINDOW_MS, FailureLimiter } from './failure-limiter.js';
import { PasswordVerifier, type PasswordCompare } from './password-verifier.js';

export interface LoginAttempt {
  /** undefined or '' when the caller sent no user name. */
  user: string | undefined;
  password: string | undefined;
  /** The client's address as the HTTP layer resolved it (trusted_proxies aware). */
  address: string;
}

export type LoginOutcome =
  | { ok: true; user: string }
  | { ok: false; reason: 'locked out'; retryAfterSeconds: number }
  /** Too many password checks in progress across the panel: try again in a moment. */
  | { ok: false; reason: 'busy'; retryAfterSeconds: number }
  /** No user name or no password: not a guess, so not counted. */
  | { ok: false; reason: 'no credentials' }
  | { ok: false; reason: 'no user found' | 'invalid password' };

export interface LoginLimits {
  /** Failures per user name from one client in a window (default 10). */
  maxFailures?: number;
  /** Failures from one client in a window, whatever the user names (default 50). */
  maxFailuresPerAddress?: number;
  /** Default 5 minutes. */
  windowMs?: number;
}

export interface LoginGuardOptions {
  users: readonly UserConfig[];
  cache?: CredentialCache | CredentialCacheOptions;
  limits?: LoginLimits;
  /** Where bcrypt runs (default: a BcryptPool with `pool`'s options). */
  compare?: PasswordCompare;
  pool?: BcryptPoolOptions;
}

export const DEFAULT_LOGIN_LIMITS = { maxFailures: 10, maxFailuresPerAddress: 50, windowMs: DEFAULT_FAILURE_WINDOW_MS } as const;

export class LoginGuard {
  private readonly verifier: PasswordVerifier;
  private readonly limiter: FailureLimiter;
  private readonly pool?: BcryptPool;
  private readonly maxFailures: number;
  private readonly maxFailuresPerAddress: number;

  constructor(options: LoginGuardOptions) {
    const given = Object.entries(options.limits ?? {}).filter(([, value]) => value !== undefined);
    const limits = { ...DEFAULT_LOGIN_LIMITS, ...Object.fromEntries(given) } as Required<LoginLimits>;
    if (!(limits.maxFailures >= 1) || !(limits.maxFailuresPerAddress >= 1)) {
      throw new RangeError(
        `login limits need maxFailures ≥ 1 and maxFailuresPerAddress ≥ 1 (got ${limits.maxFailures}, ${limits.maxFailuresPerAddress})`,
      );
    }
    this.maxFailures = limits.maxFailures;
    this.maxFailuresPerAddress = limits.maxFailuresPerAddress;
    this.limiter = new FailureLimiter({ windowMs: limits.windowMs });
    let compare = options.compare;
    if (!compare) {
      const pool = new BcryptPool(options.pool);
      this.pool = pool;
      compare = (password, hash) => pool.compare(password, hash);
    }
    const cache = options.cache instanceof CredentialCache ? options.cache : new CredentialCache(options.cache);
    this.verifier = new PasswordVerifier(options.users, cache, compare);
  }

  /** Applies a reloaded config's users (the failure counts stay). */
  replaceUsers(users: readonly UserConfig[]): void {
    this.verifier.replaceUsers(users);
  }

  async attempt({ user, password, address }: LoginAttempt): Promise<LoginOutcome> {
    const client = `client\u0000${clientKey(address)}`;
    const pair = `user\u0000${user ?? ''}\u0000${clientKey(address)}`;
    const locked = [
      [client, this.maxFailuresPerAddress],
      [pair, this.maxFailures],
    ].filter(([key, max]) => this.limiter.count(key as string) >= (max as number));
    if (locked.length > 0) {
      return {
        ok: false,
        reason: 'locked out',
        retryAfterSeconds: Math.max(...locked.map(([key]) => this.limiter.retryAfterSeconds(key as string))),
      };
    }
    if (!user || !password) return { ok: false, reason: 'no credentials' };
    if (this.verifier.isCached(user, password)) return { ok: true, user };
    // The same credentials being checked already: one guess, counted once.
    if (this.verifier.isBeingChecked(user, password)) return this.join(user, password);
    this.limiter.hit(client);
    this.limiter.hit(pair);
    let result;
    try {
      result = await this.verifier.verify(user, password);
    } catch (err) {
      this.limiter.undo(client);
      this.limiter.undo(pair);
      if (err instanceof PasswordChecksBusyError) return { ok: false, reason: 'busy', retryAfterSeconds: 1 };
      throw err;
    }
    if (result.ok) {
      this.limiter.undo(client);
      this.limiter.undo(pair);
    }
    return result;
  }

  private async join(user: string, password: string): Promise<LoginOutcome> {
    try {
      return await this.verifier.verify(user, password);
    } catch (err) {
      if (err instanceof PasswordChecksBusyError) return { ok: false, reason: 'busy', retryAfterSeconds: 1 };
      throw err;
    }
  }

  close(): void {
    this.limiter.close();
    void this.pool?.close();
  }
}
