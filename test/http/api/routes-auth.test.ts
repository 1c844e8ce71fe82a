/** Authentication of the API routes in the real panel: 401s, the login cache, failure limits, the creator. */
import { afterEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../server/services/auth/password-hash.js';
import { CredentialCache } from '../../../server/services/auth/credential-cache.js';
import { ADMIN, ALICE, apiTestConfig, authHeaders, startApiPanel, WEB1_ID } from './panel-fixture.js';

const panels: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(panels.splice(0).map((p) => p.close()));
});
async function panel(options: Parameters<typeof startApiPanel>[0] = {}) {
  const started = await startApiPanel(options);
  panels.push(started);
  return started;
}

const ROUTES: [string, string][] = [
  ['GET', '/api/machines/'],
  ['POST', '/api/machines/'],
  ['GET', `/api/machines/DEMO/${WEB1_ID}/`],
  ['DELETE', `/api/machines/DEMO/${WEB1_ID}/`],
  ['POST', `/api/machines/DEMO/${WEB1_ID}/stop/`],
  ['GET', '/api/images/'],
  ['GET', '/api/providers/'],
  ['GET', '/api/plans/'],
  ['GET', '/api/keys/'],
  ['PUT', '/api/machines/'],
];

describe('API authentication in the panel', () => {
  it('answers 401 {"Error": "Authentication failed"} on every route for missing, unknown and wrong credentials', async () => {
    // 20 failures from one address here; the failure limit is raised so they all get their 401.
    const { base } = await panel({ auth: { limits: { maxFailures: 100, maxFailuresPerAddress: 100 } } });
    const cases: Record<string, string>[] = [
      {},
      { 'X-Vmango-User': 'admin' },
      authHeaders({ user: 'root', password: 'x' }),
      authHeaders({ user: 'admin', password: 'x' }),
    ];
    for (const [method, path] of ROUTES) {
      for (const headers of cases) {
        const res = await fetch(base + path, { method, headers, redirect: 'manual' });
        expect(res.status, `${method} ${path}`).toBe(401);
        expect(res.headers.get('content-type')).toBe('application/json; charset=UTF-8');
        expect(await res.json()).toEqual({ Error: 'Authentication failed' });
      }
    }
    // Nothing was deleted or stopped by the refused requests.
    const detail = await fetch(`${base}/api/machines/DEMO/${WEB1_ID}/`, { headers: authHeaders() });
    expect(((await detail.json()) as { Machine: { State: string } }).Machine.State).toBe('running');
  });

  it('remembers a verified login in the cache and keeps answering from it', async () => {
    const cache = new CredentialCache();
    const config = apiTestConfig();
    const { base } = await panel({ config, auth: { cache } });
    for (let i = 0; i < 3; i++) {
      expect((await fetch(`${base}/api/plans/`, { headers: authHeaders(ALICE) })).status).toBe(200);
    }
    const aliceHash = config.users.find((u) => u.name === ALICE.user)!.passwordHash;
    expect(cache.has(ALICE.user, ALICE.password, aliceHash)).toBe(true);
    expect(cache.size).toBe(1);
  });

  it('does not serve the old password from the cache once a new config changes it', async () => {
    const cache = new CredentialCache();
    const before = await panel({ auth: { cache } });
    expect((await fetch(`${before.base}/api/plans/`, { headers: authHeaders() })).status).toBe(200);
    const config = apiTestConfig({ hashes: { admin: hashPassword('new-secret') } });
    const after = await panel({ config, auth: { cache } });
    expect((await fetch(`${after.base}/api/plans/`, { headers: authHeaders() })).status).toBe(401);
    expect(
      (await fetch(`${after.base}/api/plans/`, { headers: authHeaders({ user: 'admin', password: 'new-secret' }) })).status,
    ).toBe(200);
  });

  it('answers 429 with Retry-After after 10 failures in 5 minutes, before checking the password', async () => {
    const { base } = await panel();
    for (let i = 0; i < 10; i++) {
      expect(
        (await fetch(`${base}/api/machines/`, { headers: authHeaders({ user: 'admin', password: `guess-${i}` }) })).status,
      ).toBe(401);
    }
    const locked = await fetch(`${base}/api/machines/`, { headers: authHeaders(ADMIN) });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(290);
    expect(Number(locked.headers.get('retry-after'))).toBeLessThanOrEqual(300);
    expect(((await locked.json()) as { Error: string }).Error).toMatch(/^too many failed logins; try again in \d+ seconds$/);
  });

  it('logs failed logins with the reason and never the password', async () => {
    const { base, lines } = await panel();
    await fetch(`${base}/api/plans/`, { headers: authHeaders({ user: 'admin', password: 'hunter2-wrong' }) });
    const line = lines.find((l) => l.msg === 'api authentication failed');
    expect(line).toMatchObject({ user: 'admin', reason: 'invalid password', remote: '127.0.0.1' });
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });

  it('passes each request its own user as the creator, under concurrency', async () => {
    // Creates stop at the test driver's clone step, after validation; the creator reaches the
    // service with the request. What can be seen here is that concurrent users never get each
    // other's answer: each is authenticated on its own.
    const { base } = await panel();
    const who = Array.from({ length: 12 }, (_, i) => (i % 2 ? ALICE : ADMIN));
    const answers = await Promise.all(
      who.map((user) =>
        fetch(`${base}/api/machines/`, {
          method: 'POST',
          headers: { ...authHeaders(user), 'Content-Type': 'application/json' },
          body: JSON.stringify({ Name: 'newvm', Plan: 'small', Image: 'Debian-12_amd64_qcow2.img', Provider: 'DEMO' }),
        }).then((r) => r.status),
      ),
    );
    // One create of 'newvm' at a time is let through to the hypervisor; the rest are 409 (being created).
    expect(answers.every((s) => s === 501 || s === 409)).toBe(true);
    expect(answers).toContain(501);
  });
});
