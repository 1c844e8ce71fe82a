/**
 * The console WebSocket's gate, on the demo (libvirt's test driver, which has no consoles): who
 * may ask for a ticket and how, what the upgrade checks before anything is opened (path, Host,
 * Origin, session or API credentials, ticket), and the error frame when the console cannot open.
 * The consoles themselves are tested on the harness (test/system/attacks/console-tickets.harness.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectConsole, type ConsoleRefusal } from '../../helpers/console-client.js';
import { apiTestConfig } from '../api/panel-fixture.js';
import { ADMIN, ALICE, PageClient, startPagesPanel, WEB1_ID, DB1_ID } from '../pages/pages-fixture.js';

type Panel = Awaited<ReturnType<typeof startPagesPanel>>;
let panel: Panel;
let admin: PageClient;
const api = { 'X-Vmango-User': ADMIN.user, 'X-Vmango-Pass': ADMIN.password };

beforeAll(async () => {
  panel = await startPagesPanel();
  admin = new PageClient(panel.base);
  await admin.login(ADMIN.user, ADMIN.password);
});
afterAll(async () => {
  await panel?.close();
});

async function pageTicket(client: PageClient, id: string, body: unknown = {}, extra: Record<string, string> = {}) {
  const csrf = await client.csrfFrom(`/machines/DEMO/${id}/`);
  const res = await fetch(`${panel.base}/machines/DEMO/${id}/console/`, {
    method: 'POST',
    headers: { Cookie: client.cookieHeader(), 'X-CSRF-Token': csrf, 'Content-Type': 'application/json', ...extra },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, string> };
}

async function apiTicket(id: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${panel.base}/api/machines/DEMO/${id}/console/`, {
    method: 'POST',
    headers: { ...api, ...headers },
    body,
  });
  return { status: res.status, json: (await res.json()) as Record<string, string> };
}

const refusal = async (url: string, options: Parameters<typeof connectConsole>[1]) => {
  const result = await connectConsole(url, options);
  if (!result.refused) throw new Error(`not refused: ${JSON.stringify(result.first)}`);
  return result as ConsoleRefusal;
};

describe('console tickets', () => {
  it('come from the page (with the CSRF token) and the API, with the socket URL', async () => {
    const page = await pageTicket(admin, WEB1_ID);
    expect(page.status).toBe(201);
    expect(page.json).toMatchObject({
      Kind: 'serial',
      Url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/console\/ws\?ticket=v1\./),
    });
    expect(page.json.Url).toContain(encodeURIComponent(page.json.Ticket!));
    const fromApi = await apiTicket(WEB1_ID, '{"Kind":"vnc"}', { 'Content-Type': 'application/json' });
    expect(fromApi.status).toBe(201);
    expect(fromApi.json.Kind).toBe('vnc');
    const form = await apiTicket(WEB1_ID, 'kind=serial&force=true', { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(201);
  });

  it('say what was wrong with a request', async () => {
    expect((await apiTicket(WEB1_ID, '{"Kind":"spice"}', { 'Content-Type': 'application/json' })).json.Error).toBe(
      'Kind must be one of serial, vnc, not "spice"',
    );
    expect((await apiTicket(WEB1_ID, '{"Force":"maybe"}', { 'Content-Type': 'application/json' })).json.Error).toContain(
      'Force must be true or false',
    );
    expect((await apiTicket(WEB1_ID, '{"Colour":1}', { 'Content-Type': 'application/json' })).json.Error).toContain(
      'unknown field "Colour"',
    );
    expect((await apiTicket(WEB1_ID, '[1]', { 'Content-Type': 'application/json' })).status).toBe(400);
    expect((await apiTicket('nope', '{}', { 'Content-Type': 'application/json' })).status).toBe(404);
    const noAuth = await fetch(`${panel.base}/api/machines/DEMO/${WEB1_ID}/console/`, { method: 'POST' });
    expect(noAuth.status).toBe(401);
    expect((await fetch(`${panel.base}/api/machines/DEMO/${WEB1_ID}/console/`, { headers: api })).status).toBe(501);
    // A stopped machine has no console to open.
    expect((await fetch(`${panel.base}/api/machines/DEMO/${DB1_ID}/stop/`, { method: 'POST', headers: api })).status).toBe(200);
    const stopped = await apiTicket(DB1_ID, '{}', { 'Content-Type': 'application/json' });
    expect(stopped.status).toBe(400);
    expect(stopped.json.Error).toMatch(/is stopped: start it to use its console/);
  });

  it('are not given to a page request without its CSRF token or without a session', async () => {
    const res = await fetch(`${panel.base}/machines/DEMO/${WEB1_ID}/console/`, {
      method: 'POST',
      headers: { Cookie: admin.cookieHeader(), 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(403);
    const anonymous = await fetch(`${panel.base}/machines/DEMO/${WEB1_ID}/console/`, { method: 'POST', redirect: 'manual' });
    expect(anonymous.status).toBe(403);
  });
});

describe('the console socket', () => {
  const browser = (client: PageClient, origin = panel.base) => ({ headers: { Cookie: client.cookieHeader() }, origin });

  it('opens with a session ticket, and says plainly when the hypervisor has no consoles', async () => {
    const { json } = await pageTicket(admin, WEB1_ID);
    const result = await connectConsole(json.Url!, browser(admin));
    if (result.refused) throw new Error(result.body);
    expect(result.first).toMatchObject({
      type: 'error',
      code: 'unsupported',
      message: expect.stringContaining('cannot open consoles'),
    });
    expect((await result.closed).code).toBe(4501);
  });

  it('checks the path, the Host, the Origin, the session and the ticket before opening anything', async () => {
    const { json } = await pageTicket(admin, WEB1_ID);
    const url = json.Url!;
    expect((await refusal(url.replace('/console/ws', '/console/other'), browser(admin))).status).toBe(404);
    expect(
      (await refusal(url, { ...browser(admin), headers: { Cookie: admin.cookieHeader(), Host: 'evil.example' } })).status,
    ).toBe(421);
    expect((await refusal(url, browser(admin, 'http://evil.example'))).status).toBe(403);
    expect((await refusal(url, browser(admin, panel.base.replace('http:', 'https:')))).status).toBe(403);
    expect((await refusal(url, { origin: panel.base })).status).toBe(401);
    const alice = new PageClient(panel.base);
    await alice.login(ALICE.user, ALICE.password);
    expect((await refusal(url, browser(alice))).body).toContain('another session');
    expect((await refusal(url.replace(/ticket=[^&]+/, 'ticket=v1.e30.AAAA'), browser(admin))).status).toBe(403);
    expect((await refusal(url.split('?')[0]!, browser(admin))).body).toContain('no ticket');
    // A forged session cookie (unsigned) is no session.
    const forged = admin
      .cookieHeader()
      .replace(/vmango=([^;]+)/, `vmango=${Buffer.from('{"user":"admin","sid":"x"}').toString('base64')}`);
    expect((await refusal(url, { headers: { Cookie: forged }, origin: panel.base })).status).toBe(401);
    // The holder's ticket survived every refused try.
    const result = await connectConsole(url, browser(admin));
    expect(result.refused).toBe(false);
  });

  it('is refused after logout', async () => {
    const bob = new PageClient(panel.base);
    await bob.login(ADMIN.user, ADMIN.password);
    const { json } = await pageTicket(bob, WEB1_ID);
    const csrf = await bob.csrfFrom('/');
    await bob.post('/logout/', { csrf });
    expect((await refusal(json.Url!, browser(bob))).status).toBe(401);
  });

  it('behind a TLS proxy answers with a wss:// URL and wants the https origin', async () => {
    const config = apiTestConfig();
    config.trustedProxies = ['127.0.0.1'];
    const proxied = await startPagesPanel({ config });
    try {
      const client = new PageClient(proxied.base);
      await client.login(ADMIN.user, ADMIN.password);
      const tls = { 'X-Forwarded-Proto': 'https' };
      const csrf = await client.csrfFrom(`/machines/DEMO/${WEB1_ID}/`);
      const res = await fetch(`${proxied.base}/machines/DEMO/${WEB1_ID}/console/`, {
        method: 'POST',
        headers: { Cookie: client.cookieHeader(), 'X-CSRF-Token': csrf, 'Content-Type': 'application/json', ...tls },
        body: '{}',
      });
      const { Url } = (await res.json()) as { Url: string };
      expect(Url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/console\/ws\?ticket=/);
      const direct = Url.replace(/^wss:/, 'ws:');
      const httpsOrigin = proxied.base.replace('http:', 'https:');
      expect((await refusal(direct, { headers: { Cookie: client.cookieHeader(), ...tls }, origin: proxied.base })).status).toBe(
        403,
      );
      const opened = await connectConsole(direct, { headers: { Cookie: client.cookieHeader(), ...tls }, origin: httpsOrigin });
      expect(opened.refused).toBe(false);
    } finally {
      await proxied.close();
    }
  });
});
