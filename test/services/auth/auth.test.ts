import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { hashPassword } from '../../../server/services/auth/password-hash.js';
import { CredentialCache } from '../../../server/services/auth/credential-cache.js';
import { FailureLimiter } from '../../../server/services/auth/failure-limiter.js';
import { PasswordVerifier } from '../../../server/services/auth/password-verifier.js';

const adminHash = hashPassword('secret');
const users = [{ name: 'admin', passwordHash: adminHash }];

describe('CredentialCache', () => {
  it('remembers for the TTL only, and forgets a user on request', () => {
    let now = 1_000;
    const cache = new CredentialCache({ ttlMs: 100, now: () => now });
    cache.remember('a', 'pw', 'h');
    expect(cache.has('a', 'pw', 'h')).toBe(true);
    expect(cache.has('a', 'pw', 'h2')).toBe(false);
    expect(cache.has('a', 'pw2', 'h')).toBe(false);
    // The separator keeps "a"+"b\0c" apart from "a\0b"+"c".
    expect(cache.has('a\0pw', '', 'h')).toBe(false);
    now += 100;
    expect(cache.has('a', 'pw', 'h')).toBe(false);
    cache.remember('a', 'pw', 'h');
    cache.remember('b', 'pw', 'h');
    cache.forgetUser('a');
    expect(cache.has('a', 'pw', 'h')).toBe(false);
    expect(cache.has('b', 'pw', 'h')).toBe(true);
  });

  it('holds at most maxEntries, dropping the oldest', () => {
    const cache = new CredentialCache({ maxEntries: 3 });
    for (const user of ['a', 'b', 'c', 'd']) cache.remember(user, 'p', 'h');
    expect(cache.size).toBe(3);
    expect(cache.has('a', 'p', 'h')).toBe(false);
    expect(cache.has('d', 'p', 'h')).toBe(true);
  });

  it('refuses nonsense limits', () => {
    expect(() => new CredentialCache({ ttlMs: 0 })).toThrow(/ttlMs > 0/);
    expect(() => new CredentialCache({ maxEntries: 0 })).toThrow(/maxEntries ≥ 1/);
  });
});

describe('PasswordVerifier', () => {
  it('accepts the right password, refuses a wrong one and unknown users with the reason', async () => {
    const verifier = new PasswordVerifier(users);
    expect(await verifier.verify('admin', 'secret')).toEqual({ ok: true, user: 'admin' });
    expect(await verifier.verify('admin', 'Secret')).toEqual({ ok: false, reason: 'invalid password' });
    expect(await verifier.verify('nobody', 'secret')).toEqual({ ok: false, reason: 'no user found' });
  });

  it('answers a repeated good login from the cache, without another bcrypt', async () => {
    const counted = countingCompare();
    const verifier = new PasswordVerifier(users, new CredentialCache(), counted.compare);
    expect((await verifier.verify('admin', 'secret')).ok).toBe(true);
    expect((await verifier.verify('admin', 'secret')).ok).toBe(true);
    expect(counted.calls()).toBe(1);
  });

  it('never serves an old password from the cache once the config has a new hash', async () => {
    const cache = new CredentialCache();
    const before = new PasswordVerifier(users, cache);
    expect((await before.verify('admin', 'secret')).ok).toBe(true);
    const after = new PasswordVerifier([{ name: 'admin', passwordHash: hashPassword('changed') }], cache);
    expect(await after.verify('admin', 'secret')).toEqual({ ok: false, reason: 'invalid password' });
    expect((await after.verify('admin', 'changed')).ok).toBe(true);
  });

  it("drops the user's cached logins after a failed attempt", async () => {
    const cache = new CredentialCache();
    const verifier = new PasswordVerifier(users, cache);
    await verifier.verify('admin', 'secret');
    expect(cache.has('admin', 'secret', adminHash)).toBe(true);
    await verifier.verify('admin', 'wrong');
    expect(cache.has('admin', 'secret', adminHash)).toBe(false);
  });

  it('spends a bcrypt compare of the same cost on an unknown user as on a wrong password', async () => {
    const counted = countingCompare();
    const verifier = new PasswordVerifier(users, new CredentialCache(), counted.compare);
    await verifier.verify('nobody', 'x');
    expect(counted.calls()).toBe(1);
    expect(bcrypt.getRounds(counted.hashes()[0]!)).toBe(bcrypt.getRounds(adminHash));
    await verifier.verify('admin', 'wrong');
    expect(counted.calls()).toBe(2);
  });

  it('first user block wins when a name repeats, as in 0.6', async () => {
    const verifier = new PasswordVerifier([...users, { name: 'admin', passwordHash: hashPassword('other') }]);
    expect((await verifier.verify('admin', 'secret')).ok).toBe(true);
    expect((await verifier.verify('admin', 'other')).ok).toBe(false);
  });
});

describe('FailureLimiter', () => {
  it('locks a key out after maxFailures in the window, until the window ends', async () => {
    const limiter = new FailureLimiter({ maxFailures: 2, windowMs: 300 });
    try {
      expect(await limiter.lockout(['k'])).toBeUndefined();
      await limiter.recordFailure(['k']);
      expect(await limiter.lockout(['k'])).toBeUndefined();
      await limiter.recordFailure(['k']);
      expect(await limiter.lockout(['k', 'other'])).toEqual({ retryAfterSeconds: 1 });
      expect(await limiter.lockout(['other'])).toBeUndefined();
      await new Promise((r) => setTimeout(r, 350));
      expect(await limiter.lockout(['k'])).toBeUndefined();
    } finally {
      limiter.close();
    }
  });

  it('refuses nonsense limits', () => {
    expect(() => new FailureLimiter({ maxFailures: 0 })).toThrow(/maxFailures ≥ 1/);
  });
});

/** The real bcrypt compare, counted: proves when bcrypt work is done without timing anything. */
function countingCompare() {
  const hashes: string[] = [];
  return {
    compare: (password: string, hash: string) => {
      hashes.push(hash);
      return bcrypt.compare(password, hash);
    },
    calls: () => hashes.length,
    hashes: () => hashes,
  };
}
