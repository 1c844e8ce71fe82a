/**
 * The one way a password is checked, for the API's headers and the login form alike: refused at
 * once while the user name or the client address is locked out, then verified, and a failure
 * counted against both.
 */
import { addressKey, FailureLimiter, userKey, type FailureLimiterOptions } from './failure-limiter.js';
import type { PasswordVerifier } from './password-verifier.js';

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
  /** No user name or no password: not a guess, so not counted. */
  | { ok: false; reason: 'no credentials' }
  | { ok: false; reason: 'no user found' | 'invalid password' };

export class LoginGuard {
  readonly limiter: FailureLimiter;

  constructor(
    private readonly verifier: PasswordVerifier,
    limits: FailureLimiter | FailureLimiterOptions = {},
  ) {
    this.limiter = limits instanceof FailureLimiter ? limits : new FailureLimiter(limits);
  }

  async attempt({ user, password, address }: LoginAttempt): Promise<LoginOutcome> {
    const keys = user ? [addressKey(address), userKey(user)] : [addressKey(address)];
    const lockout = await this.limiter.lockout(keys);
    if (lockout) return { ok: false, reason: 'locked out', retryAfterSeconds: lockout.retryAfterSeconds };
    if (!user || !password) return { ok: false, reason: 'no credentials' };
    const result = await this.verifier.verify(user, password);
    if (!result.ok) await this.limiter.recordFailure(keys);
    return result;
  }

  close(): void {
    this.limiter.close();
  }
}
