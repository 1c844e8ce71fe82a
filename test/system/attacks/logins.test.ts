/**
 * Attacks (issue 12) on password checks:
 * - anyone could lock a user out of the API: 12 wrong passwords for bob from 127.0.0.2, and bob
 *   with the right password from 127.0.0.1 got 429; the same failures evicted bob's cached login;
 * - bcrypt ran on the request path (on the event loop): a flood of bad logins from one address
 *   stalled every other request (/healthz from another address waited 1.1 s);
 * - concurrent attempts all passed the lockout check before any failure was recorded;
 * - when a cached credential expired, every request in flight ran its own bcrypt.
 */
import { FULL_ACCESS } from '../../../server/core/permissions.js';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTestConfig, startApiPanel } from '../../http/api/panel-fixture.js';
import { rawRequest } from '../../http/api/helpers.js';
import { LoginGuard } from '../../../server/services/auth/login-guard.js';
import { hashPassword } from '../../../server/services/auth/password-hash.js';

const BOB = { user: 'bob', password: 'bobs-right-password' };
const bobHash = hashPassword(BOB.password);

function from(address: string, who: { user: string; password: string }): Record<string, string> {
  // The panel trusts 127.0.0.1 as a proxy here, so X-Forwarded-For names the client.
  return { 'X-Forwarded-For': address, 'X-Vmango-User': who.user, 'X-Vmango-Pass': who.password };
}

describe('login limits through the API', () => {
  let panel: Awaited<ReturnType<typeof startApiPanel>>;
  beforeAll(async () => {
    const config = apiTestConfig();
    config.trustedProxies = ['127.0.0.1'];
    config.users = [...config.users, { name: BOB.user, passwordHash: bobHash, access: FULL_ACCESS, roles: [], quota: {} }];
    panel = await startApiPanel({ config });
  });
  afterAll(async () => {
    await panel?.close();
  });

  it('failures from one address never lock the user out from another', async () => {
    expect((await rawRequest(`${panel.base}/api/plans/`, { headers: from('10.1.1.1', BOB) })).status).toBe(200);
    for (let i = 0; i < 12; i++) {
      await rawRequest(`${panel.base}/api/plans/`, { headers: from('10.6.6.6', { user: BOB.user, password: `guess-${i}` }) });
    }
    expect((await rawRequest(`${panel.base}/api/plans/`, { headers: from('10.6.6.6', BOB) })).status).toBe(429);
    expect((await rawRequest(`${panel.base}/api/plans/`, { headers: from('10.1.1.1', BOB) })).status).toBe(200);
    expect((await rawRequest(`${panel.base}/api/plans/`, { headers: from('10.2.2.2', BOB) })).status).toBe(200);
  });

  it('an IPv6 attacker cannot dodge the limit by changing the last 64 bits', async () => {
    for (let i = 0; i < 12; i++) {
      await rawRequest(`${panel.base}/api/plans/`, {
        headers: from(`2001:db8:1:2::${(i + 1).toString(16)}`, { user: BOB.user, password: `v6-${i}` }),
      });
    }
    expect((await rawRequest(`${panel.base}/api/plans/`, { headers: from('2001:db8:1:2::ffff', BOB) })).status).toBe(429);
    expect((await rawRequest(`${panel.base}/api/plans/`, { headers: from('2001:db8:1:3::1', BOB) })).status).toBe(200);
  });

  it('a flood of bad logins does not stall other requests', async () => {
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const elu = performance.eventLoopUtilization();
    const flood = Array.from({ length: 300 }, (_, i) => i);
    const started = performance.now();
    let healthWorst = 0;
    const health = (async () => {
      while (performance.now() - started < 1_500) {
        const t = performance.now();
        await rawRequest(`${panel.base}/healthz`);
        healthWorst = Math.max(healthWorst, performance.now() - t);
      }
    })();
    for (let i = 0; i < flood.length; i += 60) {
      await Promise.all(
        flood
          .slice(i, i + 60)
          .map((n) =>
            rawRequest(`${panel.base}/api/plans/`, { headers: from('10.9.9.9', { user: `nobody-${n}`, password: 'x' }) }),
          ),
      );
    }
    await health;
    delay.disable();
    const busy = performance.eventLoopUtilization(elu).utilization;
    console.log(
      `flood: event loop ${(busy * 100).toFixed(0)}% busy, delay max ${(delay.max / 1e6).toFixed(0)} ms, /healthz worst ${healthWorst.toFixed(0)} ms`,
    );
    // 300 bcrypt checks (about 70 ms each) on the event loop would keep it busy the whole time;
    // off it, the loop only parses requests (this test's own client runs on it too).
    expect(busy).toBeLessThan(0.5);
    expect(delay.max / 1e6).toBeLessThan(200);
  });
});

describe('the login guard', () => {
  function countingGuard(limits = { maxFailures: 10, maxFailuresPerAddress: 50 }) {
    let checks = 0;
    const compare = async (password: string, hash: string): Promise<boolean> => {
      checks++;
      await new Promise((r) => setTimeout(r, 30));
      return hash === bobHash && password === BOB.password;
    };
    const guard = new LoginGuard({ users: [{ name: BOB.user, passwordHash: bobHash }], limits, compare });
    return { guard, checks: () => checks };
  }

  it('counts a failure before the check runs: 60 parallel guesses reach the check at most 10 times', async () => {
    const { guard, checks } = countingGuard();
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, (_, i) => guard.attempt({ user: BOB.user, password: `guess-${i}`, address: '10.7.7.7' })),
    );
    expect(checks()).toBeLessThanOrEqual(10);
    expect(outcomes.filter((o) => !o.ok && o.reason === 'locked out').length).toBeGreaterThanOrEqual(50);
    guard.close();
  });

  it('concurrent requests with the same credentials share one check, and a later one uses the cache', async () => {
    const { guard, checks } = countingGuard();
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => guard.attempt({ ...BOB, address: '10.8.8.8' })));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(checks()).toBe(1);
    expect((await guard.attempt({ ...BOB, address: '10.8.8.9' })).ok).toBe(true);
    expect(checks()).toBe(1);
    guard.close();
  });

  it('wrong guesses do not evict the right credentials from the cache', async () => {
    const { guard, checks } = countingGuard();
    expect((await guard.attempt({ ...BOB, address: '10.8.8.8' })).ok).toBe(true);
    for (let i = 0; i < 5; i++) await guard.attempt({ user: BOB.user, password: `bad-${i}`, address: '10.6.6.6' });
    const before = checks();
    expect((await guard.attempt({ ...BOB, address: '10.8.8.8' })).ok).toBe(true);
    expect(checks()).toBe(before);
    guard.close();
  });
});
