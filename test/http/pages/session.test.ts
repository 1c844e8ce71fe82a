/** Login, logout, sessions, CSRF, redirects and rate limiting, against the real panel. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiTestConfig } from '../api/panel-fixture.js';
import { ADMIN, PageClient, startPagesPanel } from './pages-fixture.js';

let panel: Awaited<ReturnType<typeof startPagesPanel>>;
beforeAll(async () => {
  panel = await startPagesPanel({ auth: { limits: { windowMs: 60_000, maxFailures: 50 } } });
});
afterAll(async () => {
  await panel?.close();
});

describe('login and logout', () => {
  it('sends a logged-out visitor to the login page with the URL-encoded address', async () => {
    const client = new PageClient(panel.base);
    const res = await client.get('/machines/?q=web&state=running');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`/login/?next=${encodeURIComponent('/machines/?q=web&state=running')}`);
  });

  it('logs in and goes to next, with a signed HttpOnly SameSite=Lax session cookie', async () => {
    const client = new PageClient(panel.base);
    const res = await client.login(ADMIN.user, ADMIN.password, '/images/');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/images/');
    const cookies = res.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith('vmango='));
    expect(session).toMatch(/httponly/i);
    expect(session).toMatch(/samesite=lax/i);
    expect(session).not.toMatch(/secure/i);
    expect(cookies.some((c) => c.startsWith('vmango.sig='))).toBe(true);
    expect((await client.get('/images/')).status).toBe(200);
  });

  it('answers a wrong password with 400 and the login form again', async () => {
    const client = new PageClient(panel.base);
    const res = await client.login(ADMIN.user, 'wrong');
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Wrong user name or password.');
    expect((await client.get('/')).status).toBe(302);
    expect(panel.lines.some((l) => l.msg === 'authentication failed' && l.reason === 'invalid password')).toBe(true);
  });

  it('answers an unknown user like a wrong password', async () => {
    const res = await new PageClient(panel.base).login('mallory', 'x');
    expect(res.status).toBe(400);
  });

  it.each(['//evil.example/', '/\\evil.example', 'https://evil.example/', '/\t/evil.example', 'javascript:alert(1)'])(
    'never redirects off-site after login (next=%j)',
    async (next) => {
      const res = await new PageClient(panel.base).login(ADMIN.user, ADMIN.password, next);
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/');
    },
  );

  it('does not log out on GET; logs out on POST with the token', async () => {
    const client = new PageClient(panel.base);
    await client.login(ADMIN.user, ADMIN.password);
    const page = await client.get('/logout/');
    expect(page.status).toBe(200);
    expect((await client.get('/')).status).toBe(200);
    const csrf = await client.csrfFrom('/');
    const res = await client.post('/logout/', { csrf });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login/');
    expect((await client.get('/')).status).toBe(302);
  });

  it('logs out a session whose user is no longer in the config', async () => {
    const client = new PageClient(panel.base);
    await client.login(ADMIN.user, ADMIN.password);
    expect((await client.get('/')).status).toBe(200);
    // The user is removed from the config: the session no longer counts.
    const index = panel.config.users.findIndex((u) => u.name === ADMIN.user);
    const [removed] = panel.config.users.splice(index, 1);
    try {
      expect((await client.get('/')).status).toBe(302);
    } finally {
      panel.config.users.splice(index, 0, removed!);
    }
  });

  it('refuses a tampered session cookie', async () => {
    const client = new PageClient(panel.base);
    await client.login(ADMIN.user, ADMIN.password);
    const forged = Buffer.from(JSON.stringify({ user: 'admin', seen: Math.floor(Date.now() / 60_000) })).toString('base64');
    const res = await fetch(`${panel.base}/`, { redirect: 'manual', headers: { Cookie: `vmango=${forged}; vmango.sig=AAAA` } });
    expect(res.status).toBe(302);
  });
});

describe('behind a TLS proxy', () => {
  it('marks the session cookie Secure when a trusted proxy says the browser used HTTPS', async () => {
    const config = apiTestConfig();
    config.trustedProxies = ['127.0.0.1'];
    const proxied = await startPagesPanel({ config });
    try {
      const client = new PageClient(proxied.base);
      const csrf = await client.csrfFrom('/login/');
      const https = await client.post(
        '/login/',
        { csrf, Username: ADMIN.user, Password: ADMIN.password },
        { 'X-Forwarded-Proto': 'https' },
      );
      expect(https.headers.getSetCookie().find((c) => c.startsWith('vmango='))).toMatch(/; secure/i);
      const direct = await startPagesPanel();
      try {
        const other = new PageClient(direct.base);
        const token = await other.csrfFrom('/login/');
        const spoofed = await other.post(
          '/login/',
          { csrf: token, Username: ADMIN.user, Password: ADMIN.password },
          { 'X-Forwarded-Proto': 'https' },
        );
        expect(spoofed.headers.getSetCookie().find((c) => c.startsWith('vmango='))).not.toMatch(/secure/i);
      } finally {
        await direct.close();
      }
    } finally {
      await proxied.close();
    }
  });
});

describe('CSRF', () => {
  it('refuses a login without the token (403 page)', async () => {
    const client = new PageClient(panel.base);
    await client.get('/login/');
    const res = await client.post('/login/', { Username: ADMIN.user, Password: ADMIN.password });
    expect(res.status).toBe(403);
    const html = await res.text();
    expect(html).toContain('CSRF token invalid or missing');
    expect(html).toContain('<main');
  });

  it('refuses an action with a token from another session', async () => {
    const victim = new PageClient(panel.base);
    await victim.login(ADMIN.user, ADMIN.password);
    const attacker = new PageClient(panel.base);
    const foreignToken = await attacker.csrfFrom('/login/');
    const res = await victim.post('/logout/', { csrf: foreignToken });
    expect(res.status).toBe(403);
    expect((await victim.get('/')).status).toBe(200);
  });

  it('answers an unauthenticated POST without a token with 403, as 0.6 did', async () => {
    const res = await new PageClient(panel.base).post('/machines/add/', { Name: 'x' });
    expect(res.status).toBe(403);
  });

  it('leaves /api/ to the API: 401 JSON, no session, no CSRF', async () => {
    const res = await fetch(`${panel.base}/api/machines/`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/json/);
    expect(res.headers.getSetCookie()).toEqual([]);
  });
});

describe('login rate limit', () => {
  it('answers 429 with a page after too many failures from one address', async () => {
    const limited = await startPagesPanel({ auth: { limits: { windowMs: 60_000, maxFailures: 3 } } });
    try {
      const client = new PageClient(limited.base);
      for (let i = 0; i < 3; i++) expect((await client.login(ADMIN.user, 'wrong')).status).toBe(400);
      const res = await client.login(ADMIN.user, ADMIN.password);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await res.text()).toContain('Too many failed login attempts');
    } finally {
      await limited.close();
    }
  });

  it('does not count successful logins', async () => {
    const limited = await startPagesPanel({ auth: { limits: { windowMs: 60_000, maxFailures: 2 } } });
    try {
      for (let i = 0; i < 4; i++) {
        expect((await new PageClient(limited.base).login(ADMIN.user, ADMIN.password)).status).toBe(303);
      }
    } finally {
      await limited.close();
    }
  });
});
