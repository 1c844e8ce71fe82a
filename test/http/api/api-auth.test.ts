import { ApiAuthenticator } from '../../../server/services/auth/api-authenticator.js';
import { TokenVerifier } from '../../../server/services/auth/api-tokens.js';
import { describe, expect, it } from 'vitest';
import { Router } from 'express';
import { hashPassword } from '../../../server/services/auth/password-hash.js';
import { apiAuthentication, authenticatedUser } from '../../../server/http/api/api-auth.js';
import type { CredentialCache } from '../../../server/services/auth/credential-cache.js';
import { LoginGuard } from '../../../server/services/auth/login-guard.js';
import { clientAddressResolver } from '../../../server/http/client-address.js';
import { capturedLogger, rawRequest, startApp } from './helpers.js';

const adminHash = hashPassword('secret');
const users = [{ name: 'admin', passwordHash: adminHash }];

async function authServer(
  options: {
    maxFailures?: number;
    windowMs?: number;
    trustedProxies?: string[];
    cache?: CredentialCache;
    users?: typeof users;
  } = {},
) {
  const { logger, lines } = capturedLogger();
  const router = Router();
  router.use(
    '/api',
    apiAuthentication({
      authenticator: new ApiAuthenticator(
        new LoginGuard({
          users: options.users ?? users,
          cache: options.cache,
          limits: { maxFailures: options.maxFailures, maxFailuresPerAddress: options.maxFailures, windowMs: options.windowMs },
        }),
        new TokenVerifier([]),
      ),
      clientAddress: clientAddressResolver(options.trustedProxies ?? []),
      logger,
    }),
  );
  router.get('/api/whoami/', (_req, res) => {
    res.json({ user: authenticatedUser(res) });
  });
  return { base: await startApp([router], logger), lines };
}

const login = (user: string, pass: string) => ({ 'X-Vmango-User': user, 'X-Vmango-Pass': pass });

describe('apiAuthentication', () => {
  it('lets the configured user through and hands the name to the handler', async () => {
    const { base } = await authServer();
    const res = await fetch(`${base}/api/whoami/`, { headers: login('admin', 'secret') });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ user: 'admin' });
  });

  it('answers 401 {"Error": "Authentication failed"} for a missing header, unknown user or bad password, never a redirect', async () => {
    const { base, lines } = await authServer();
    const attempts: Record<string, string>[] = [
      {},
      { 'X-Vmango-User': 'admin' },
      { 'X-Vmango-Pass': 'secret' },
      login('root', 'secret'),
      login('admin', 'nope'),
      login('admin', ''),
    ];
    for (const headers of attempts) {
      const res = await fetch(`${base}/api/whoami/`, { headers, redirect: 'manual' });
      expect(res.status).toBe(401);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.json()).toEqual({ Error: 'Authentication failed' });
    }
    const warnings = lines.filter((l) => l.msg === 'api authentication failed');
    expect(warnings.map((l) => l.reason)).toEqual(['no user found', 'invalid password']);
    expect(JSON.stringify(lines)).not.toContain('nope');
  });

  it('compares UTF-8 passwords byte for byte, as 0.6 did', async () => {
    const { base } = await authServer({ users: [{ name: 'jörg', passwordHash: hashPassword('pässwörd✓') }] });
    const res = await rawRequest(`${base}/api/whoami/`, {
      headers: {
        'X-Vmango-User': Buffer.from('jörg').toString('latin1'),
        'X-Vmango-Pass': Buffer.from('pässwörd✓').toString('latin1'),
      },
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ user: 'jörg' });
  });

  it('answers 429 with Retry-After after repeated failures for a user, even with the right password then', async () => {
    const { base } = await authServer({ maxFailures: 3, windowMs: 60_000 });
    for (let i = 0; i < 3; i++)
      expect((await fetch(`${base}/api/whoami/`, { headers: login('admin', `guess${i}`) })).status).toBe(401);
    const locked = await fetch(`${base}/api/whoami/`, { headers: login('admin', 'secret') });
    expect(locked.status).toBe(429);
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(50);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await locked.json()).toEqual({ Error: `too many failed logins; try again in ${retryAfter} seconds` });
  });

  it('limits per client address too, across user names, and lifts the limit when the window ends', async () => {
    const { base } = await authServer({ maxFailures: 3, windowMs: 1_500, trustedProxies: ['127.0.0.1'] });
    const from = (address: string, user: string, pass: string) => ({ ...login(user, pass), 'X-Real-IP': address });
    for (const user of ['a', 'b', 'c'])
      expect((await fetch(`${base}/api/whoami/`, { headers: from('10.0.0.1', user, 'x') })).status).toBe(401);
    expect((await fetch(`${base}/api/whoami/`, { headers: from('10.0.0.1', 'admin', 'secret') })).status).toBe(429);
    // Another address is not affected.
    expect((await fetch(`${base}/api/whoami/`, { headers: from('10.0.0.2', 'admin', 'secret') })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_600));
    expect((await fetch(`${base}/api/whoami/`, { headers: from('10.0.0.1', 'admin', 'secret') })).status).toBe(200);
  });

  it('does not count requests without credentials, nor successes, as failures', async () => {
    const { base } = await authServer({ maxFailures: 2 });
    for (let i = 0; i < 5; i++) expect((await fetch(`${base}/api/whoami/`)).status).toBe(401);
    const parallel = await Promise.all(
      Array.from({ length: 10 }, () => fetch(`${base}/api/whoami/`, { headers: login('admin', 'secret') })),
    );
    expect(parallel.map((r) => r.status)).toEqual(Array(10).fill(200));
  });

  it("keeps each request's user to itself under concurrency", async () => {
    const both = [...users, { name: 'bob', passwordHash: hashPassword('bobpw') }];
    const { base } = await authServer({ users: both });
    const requests: [string, string][] = Array.from({ length: 20 }, (_, i) => (i % 2 ? ['bob', 'bobpw'] : ['admin', 'secret']));
    const answers = await Promise.all(
      requests.map(([u, p]) => fetch(`${base}/api/whoami/`, { headers: login(u, p) }).then((r) => r.json())),
    );
    expect(answers).toEqual(requests.map(([u]) => ({ user: u })));
  });
});
