/**
 * Checks a user name and password against the config's bcrypt hashes. Verified credentials are
 * remembered briefly (credential-cache.ts); checks for the same credentials that are in flight at
 * once share one bcrypt; an unknown user costs a check too, so answer times do not tell which
 * users exist. The compare itself runs wherever it is given (the panel's: a thread pool).
 */
import bcrypt from 'bcryptjs';
import { randomBytes } from 'node:crypto';
import type { UserConfig as FullUserConfig } from '../../config/index.js';

/** What checking a password needs of a user. */
type UserConfig = Pick<FullUserConfig, 'name' | 'passwordHash'>;
import { CredentialCache } from './credential-cache.js';

export type Verification = { ok: true; user: string } | { ok: false; reason: 'no user found' | 'invalid password' };

export type PasswordCompare = (password: string, hash: string) => Promise<boolean>;

const DEFAULT_COST = 10;

export class PasswordVerifier {
  private dummyHash?: Promise<string>;
  private readonly inFlight = new Map<string, Promise<Verification>>();

  constructor(
    private users: readonly UserConfig[],
    private readonly cache: CredentialCache = new CredentialCache(),
    private readonly compare: PasswordCompare = bcrypt.compare,
  ) {
    // Ready before the first unknown user asks (made once, in slices: bcryptjs's async hash yields).
    this.dummy().catch(() => undefined);
  }

  /** A reloaded config's users: a removed user's credentials fail from now on, cached or not. */
  replaceUsers(users: readonly UserConfig[]): void {
    this.users = users;
  }

  /** True when these credentials were verified a moment ago (no bcrypt needed). */
  isCached(user: string, password: string): boolean {
    const account = this.account(user);
    return account !== undefined && this.cache.has(user, password, account.passwordHash);
  }

  /** True while a check of exactly these credentials is running (verify would join it). */
  isBeingChecked(user: string, password: string): boolean {
    return this.inFlight.has(this.cache.keyOf(user, password, this.account(user)?.passwordHash ?? ''));
  }

  async verify(user: string, password: string): Promise<Verification> {
    const account = this.account(user);
    if (account && this.cache.has(user, password, account.passwordHash)) return { ok: true, user };
    const key = this.cache.keyOf(user, password, account?.passwordHash ?? '');
    let check = this.inFlight.get(key);
    if (!check) {
      check = this.check(account, user, password).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, check);
    }
    return check;
  }

  private async check(account: UserConfig | undefined, user: string, password: string): Promise<Verification> {
    if (account === undefined) {
      await this.compare(password, await this.dummy());
      return { ok: false, reason: 'no user found' };
    }
    if (!(await this.compare(password, account.passwordHash))) return { ok: false, reason: 'invalid password' };
    this.cache.remember(user, password, account.passwordHash);
    return { ok: true, user };
  }

  // As 0.6: the first block of a user name wins.
  private account(user: string): UserConfig | undefined {
    return this.users.find((candidate) => candidate.name === user);
  }

  /** A hash of a random password with the cost the configured users' hashes have. */
  private dummy(): Promise<string> {
    this.dummyHash ??= bcrypt.hash(randomBytes(18).toString('base64'), this.typicalCost());
    return this.dummyHash;
  }

  private typicalCost(): number {
    for (const { passwordHash } of this.users) {
      const match = /^\$2[abxy]?\$(\d{2})\$/.exec(passwordHash);
      if (match) return Number(match[1]);
    }
    return DEFAULT_COST;
  }
}
