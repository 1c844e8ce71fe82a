import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { hashPassword } from '../../../server/services/auth/password-hash.js';
import { CredentialCache } from '../../../server/services/auth/credential-cache.js';
import { FailureLimiter } from '../../../server/services/auth/failure-limiter.js';
import { BcryptPool } from '../../../server/services/auth/bcrypt-pool.js';
import { clientKey } from '../../../server/services/auth/client-key.js';
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
    expect(cache.keyOf('a', 'pw', 'h')).not.toContain('pw');
    expect(cache.keyOf('a', 'pw', 'h')).toBe(cache.keyOf('a', 'pw', 'h'));
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

  it("keeps the user's cached login after someone else's wrong guess", async () => {
    const cache = new CredentialCache();
    const verifier = new PasswordVerifier(users, cache);
    await verifier.verify('admin', 'secret');
    await verifier.verify('admin', 'wrong');
    expect(cache.has('admin', 'secret', adminHash)).toBe(true);
  });

  it('shares one check among concurrent requests with the same credentials', async () => {
    const counted = countingCompare();
    const verifier = new PasswordVerifier(users, new CredentialCache(), counted.compare);
    const results = await Promise.all([1, 2, 3, 4].map(() => verifier.verify('admin', 'secret')));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(counted.calls()).toBe(1);
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
  it('counts per key in a fixed window, takes back a failure, and forgets the window when it ends', async () => {
    const limiter = new FailureLimiter({ windowMs: 300 });
    try {
      expect(limiter.count('k')).toBe(0);
      expect(limiter.hit('k')).toBe(1);
      expect(limiter.hit('k')).toBe(2);
      limiter.undo('k');
      expect(limiter.count('k')).toBe(1);
      expect(limiter.count('other')).toBe(0);
      expect(limiter.retryAfterSeconds('k')).toBe(1);
      await new Promise((r) => setTimeout(r, 350));
      expect(limiter.count('k')).toBe(0);
    } finally {
      limiter.close();
    }
  });

  it('remembers at most maxEntries keys, the oldest going first', () => {
    const limiter = new FailureLimiter({ maxEntries: 2 });
    for (const key of ['a', 'b', 'c']) limiter.hit(key);
    expect([limiter.count('a'), limiter.count('b'), limiter.count('c')]).toEqual([0, 1, 1]);
    limiter.close();
  });

  it('refuses nonsense limits', () => {
    expect(() => new FailureLimiter({ windowMs: 0 })).toThrow(/windowMs > 0/);
  });
});

describe('BcryptPool', () => {
  it('checks on a worker thread, and refuses past its queue instead of piling up', async () => {
    const pool = new BcryptPool({ threads: 1, maxQueued: 2 });
    try {
      expect(await pool.compare('secret', adminHash)).toBe(true);
      expect(await pool.compare('wrong', adminHash)).toBe(false);
      expect(await pool.compare('x', 'not a hash')).toBe(false);
      const burst = [1, 2, 3, 4, 5].map(() => pool.compare('secret', adminHash).then(String, (e: Error) => e.name));
      expect((await Promise.all(burst)).sort()).toEqual([
        'PasswordChecksBusyError',
        'PasswordChecksBusyError',
        'true',
        'true',
        'true',
      ]);
    } finally {
      await pool.close();
    }
  });
});

describe('clientKey', () => {
  it('keeps IPv4 addresses and folds IPv6 to its /64', () => {
    expect(clientKey('192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey('2001:db8:1:2::5')).toBe('2001:0db8:0001:0002::/64');
    expect(clientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:0db8:0001:0002::/64');
    expect(clientKey('::1')).toBe('0000:0000:0000:0000::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0000:0000:0000::/64');
    expect(clientKey('::ffff:192.0.2.7')).toBe('0000:0000:0000:0000::/64');
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
