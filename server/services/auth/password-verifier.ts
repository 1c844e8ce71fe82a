/**
 * Checks a user name and password against the config's bcrypt hashes, asynchronously (bcryptjs'
 * `compare` yields to the event loop; the sync one would stall every other request for ~70 ms).
 */
import bcrypt from 'bcryptjs';
import { randomBytes } from 'node:crypto';
import type { UserConfig } from '../../config/index.js';
import { CredentialCache } from './credential-cache.js';

export type Verification = { ok: true; user: string } | { ok: false; reason: 'no user found' | 'invalid password' };

export type PasswordCompare = (password: string, hash: string) => Promise<boolean>;

const DEFAULT_COST = 10;

export class PasswordVerifier {
  private dummyHash?: Promise<string>;

  constructor(
    private readonly users: readonly UserConfig[],
    private readonly cache: CredentialCache = new CredentialCache(),
    private readonly compare: PasswordCompare = bcrypt.compare,
  ) {
    // Ready before the first unknown user asks, so that request costs one bcrypt, not two.
    this.dummy().catch(() => undefined);
  }

  async verify(user: string, password: string): Promise<Verification> {
    // As 0.6: duplicate user blocks are possible in old configs and the first one wins.
    const account = this.users.find((candidate) => candidate.name === user);
    if (account === undefined) {
      // Spend what a real check spends, so response times do not tell which users exist.
      await this.compare(password, await this.dummy());
      this.cache.forgetUser(user);
      return { ok: false, reason: 'no user found' };
    }
    if (this.cache.has(user, password, account.passwordHash)) return { ok: true, user };
    if (await this.compare(password, account.passwordHash)) {
      this.cache.remember(user, password, account.passwordHash);
      return { ok: true, user };
    }
    this.cache.forgetUser(user);
    return { ok: false, reason: 'invalid password' };
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
