/**
 * Attacks (issue 13) on the console WebSocket, against the real panel on the harness hypervisor
 * with echo guests (test/libvirt/echo-guest.ts: every byte sent to the serial port comes back):
 * a stolen ticket reused, presented with another session's cookie or other API credentials, after
 * it expired, from another site's page, or altered to name another machine — each refused, and
 * the holder's ticket still works after a refused try; logout closes an open console within a
 * second. Also: a held serial console is not taken without force; the VNC display is reached
 * through SSH; the idle timeout; a deleted machine's console closes; and with one hypervisor
 * path frozen, consoles on the other still open while the frozen one's says why it cannot,
 * within its call deadline.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../../server/config/index.js';
import type { Connection } from '../../../server/libvirt/index.js';
import { hashPassword } from '../../../server/services/auth/password-hash.js';
import { connectConsole, type ConsoleConnection, type ConsoleRefusal } from '../../helpers/console-client.js';
import { harnessCommand, requireHarness, type HarnessEnv } from '../../helpers/harness.js';
import { startTestPanel, type TestPanel } from '../../helpers/panel.js';
import { PageClient } from '../../http/pages/pages-fixture.js';
import { startEchoGuest } from '../../libvirt/echo-guest.js';
import { harnessTemplates, rawConnection } from '../../services/machines/harness-fixture.js';

const { env, skipReason } = requireHarness();
if (skipReason) console.warn(`skipping the console attack tests: ${skipReason}`);

const ADMIN = { user: 'admin', password: `cst-${randomBytes(6).toString('hex')}` };
const BOB = { user: 'bob', password: `cst-${randomBytes(6).toString('hex')}` };
const TOKEN = randomBytes(3).toString('hex');
const TICKET_LIFETIME_MS = 3_000;
const IDLE_MS = 4_000;
const FROZEN_DEADLINE_MS = 3_000;

function panelConfig(harness: HarnessEnv, stateDir: string): Config {
  const templates = harnessTemplates(harness);
  const block = (name: string, url: string, extra = '') => `
hypervisor "${name}" {
  url = "${url}"
  image_storage_pool = "${harness.imagePool}"
  root_storage_pool = "${harness.rootPool}"
  network = "${harness.network}"
  vm_template = "${templates.vm}"
  volume_template = "${templates.volume}"
  ${extra}
}`;
  return parseConfig(
    `
listen = "127.0.0.1:8000"
session_secret = "${randomBytes(24).toString('base64')}"
state_dir = "${stateDir}"
${block('ALPHA', harness.uri)}
${block('BRAVO', harness.uri2, `call_timeout = "${FROZEN_DEADLINE_MS / 1000}s"`)}
user "${ADMIN.user}" {
  password = "${hashPassword(ADMIN.password)}"
}
user "${BOB.user}" {
  password = "${hashPassword(BOB.password)}"
}
`,
    { filename: 'console-attacks.conf', baseDir: '/' },
  );
}

describe.skipIf(skipReason !== undefined)('console tickets and sockets on the harness hypervisor', () => {
  const harness = env!;
  let stateDir: string;
  let panel: TestPanel;
  let conn: Connection;
  const guests: Array<{ cleanup: () => Promise<void> }> = [];
  let echoId = '';
  let vncId = '';
  let froze = false;

  const api = { 'X-Vmango-User': ADMIN.user, 'X-Vmango-Pass': ADMIN.password };
  const origin = () => panel.base;

  async function echoGuest(suffix: string, options: { vnc?: boolean } = {}): Promise<string> {
    const guest = await startEchoGuest(conn, harness, `cst${TOKEN}${suffix}`, options);
    guests.push(guest);
    return guest.domain.uuid.replace(/-/g, '');
  }

  async function loggedIn(who: { user: string; password: string }): Promise<PageClient> {
    const client = new PageClient(panel.base);
    expect((await client.login(who.user, who.password)).status).toBe(303);
    return client;
  }

  /** A ticket from the machine page's endpoint, for this session. */
  async function pageTicket(client: PageClient, id: string, body: Record<string, unknown> = {}, provider = 'ALPHA') {
    const csrf = await client.csrfFrom(`/machines/${provider}/${id}/`);
    const res = await client.get(`/machines/${provider}/${id}/console/`); // the page itself renders
    expect(res.status).toBe(200);
    const answer = await fetch(`${panel.base}/machines/${provider}/${id}/console/`, {
      method: 'POST',
      headers: { Cookie: client.cookieHeader(), 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return {
      status: answer.status,
      json: (await answer.json()) as { Url: string; Ticket: string; ExpiresAt: string; Error?: string },
    };
  }

  async function apiTicket(id: string, body: Record<string, unknown> = {}, provider = 'ALPHA', headers = api) {
    const res = await fetch(`${panel.base}/api/machines/${provider}/${id}/console/`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as { Url: string; Ticket: string; ExpiresAt: string; Error?: string } };
  }

  const asBrowser = (client: PageClient, from = origin()) => ({ headers: { Cookie: client.cookieHeader() }, origin: from });

  function opened(result: ConsoleRefusal | ConsoleConnection): ConsoleConnection {
    if (result.refused) throw new Error(`console refused: ${result.status} ${result.body}`);
    expect(result.first, JSON.stringify(result.first)).toMatchObject({ type: 'ready' });
    return result;
  }

  function refused(result: ConsoleRefusal | ConsoleConnection): ConsoleRefusal {
    if (!result.refused) {
      result.ws.terminate();
      throw new Error(`console was not refused: first frame ${JSON.stringify(result.first)}`);
    }
    return result;
  }

  /** Round trip through the echo guest. */
  async function echoes(console: ConsoleConnection, text: string): Promise<void> {
    console.send(text);
    await console.waitFor(text);
  }

  /**
   * For a guest started just now: what is sent before its boot sector runs the echo loop is lost,
   * so the text is sent again every few seconds until it comes back.
   */
  async function echoesOnceBooted(console: ConsoleConnection, text: string, timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      console.send(text);
      try {
        await console.waitFor(text, 3_000);
        return;
      } catch (err) {
        if (Date.now() > until) throw err;
      }
    }
  }

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'vmango-console-state-'));
    conn = await rawConnection(harness);
    echoId = await echoGuest('e');
    vncId = await echoGuest('v', { vnc: true });
    panel = await startTestPanel(panelConfig(harness, stateDir), {
      settleMs: 30_000,
      consoles: { ticketLifetimeMs: TICKET_LIFETIME_MS, limits: { idleTimeoutMs: IDLE_MS } },
    });
  }, 120_000);

  afterAll(async () => {
    if (froze) await harnessCommand('unfreeze', '2');
    await panel?.close();
    for (const guest of guests) await guest.cleanup();
    await conn?.close();
    rmSync(stateDir, { recursive: true, force: true });
  }, 60_000);

  it('a session ticket opens the serial console from the panel page, and logout closes it within a second', async () => {
    const admin = await loggedIn(ADMIN);
    const { status, json } = await pageTicket(admin, echoId);
    expect(status).toBe(201);
    expect(json.Url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/console\/ws\?ticket=v1\./);
    expect(Date.parse(json.ExpiresAt) - Date.now()).toBeLessThanOrEqual(TICKET_LIFETIME_MS);
    const console = opened(await connectConsole(json.Url, asBrowser(admin)));
    expect(console.first).toMatchObject({ kind: 'serial', machine: `cst${TOKEN}e` });
    await echoes(console, 'hello, console\r\n');

    const csrf = await admin.csrfFrom('/');
    const loggedOutAt = Date.now();
    expect((await admin.post('/logout/', { csrf })).status).toBe(303);
    const closed = await console.closed;
    expect(closed.code).toBe(4001);
    expect(closed.reason).toBe('logged out');
    expect(closed.at - loggedOutAt).toBeLessThan(1_000);
    const log = panel.lines.find((l) => l.msg === 'console closed' && l.machine === `cst${TOKEN}e`);
    expect(log).toMatchObject({ user: ADMIN.user, console: 'serial', reason: 'logged out' });
    expect(log!.bytesToGuest).toBe(Buffer.byteLength('hello, console\r\n'));
    expect(log!.bytesFromGuest as number).toBeGreaterThanOrEqual(Buffer.byteLength('hello, console\r\n'));
  });

  it('a stolen ticket is refused: reused, with another session, from another site, without a session, altered', async () => {
    const admin = await loggedIn(ADMIN);
    const bob = await loggedIn(BOB);

    // Another session's cookie (bob's) with admin's ticket: refused, and the ticket is not used up.
    const first = (await pageTicket(admin, echoId)).json;
    const asBob = refused(await connectConsole(first.Url, asBrowser(bob)));
    expect(asBob.status).toBe(403);
    expect(asBob.body).toContain('another session');
    // The same cookie the attacker copied, but from another site's page.
    const foreign = refused(await connectConsole(first.Url, asBrowser(admin, 'http://evil.example')));
    expect(foreign.status).toBe(403);
    expect(foreign.body).toContain('another site');
    // No cookie at all, and the cookie without any Origin (not from a browser page).
    expect(refused(await connectConsole(first.Url, { origin: origin() })).status).toBe(401);
    expect(refused(await connectConsole(first.Url, { headers: { Cookie: admin.cookieHeader() } })).status).toBe(403);
    // The holder still gets in with it; then it is used up.
    const console = opened(await connectConsole(first.Url, asBrowser(admin)));
    await echoes(console, 'mine\r\n');
    console.ws.close();
    await console.closed;
    const reused = refused(await connectConsole(first.Url, asBrowser(admin)));
    expect(reused.status).toBe(403);
    expect(reused.body).toContain('used already');

    // Altered to name another machine: the signature no longer matches.
    const other = (await pageTicket(admin, echoId)).json;
    const [version, body, mac] = other.Ticket.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    payload.m = vncId;
    const altered = `${version}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${mac}`;
    const tampered = refused(
      await connectConsole(`${panel.base.replace('http', 'ws')}/console/ws?ticket=${altered}`, asBrowser(admin)),
    );
    expect(tampered.status).toBe(403);
    expect(tampered.body).toContain('not signed');

    // After its lifetime.
    const late = (await pageTicket(admin, echoId)).json;
    await new Promise((resolve) => setTimeout(resolve, TICKET_LIFETIME_MS + 200));
    const expired = refused(await connectConsole(late.Url, asBrowser(admin)));
    expect(expired.status).toBe(403);
    expect(expired.body).toContain('expired');

    // A ticket from the page needs the CSRF token.
    const noCsrf = await fetch(`${panel.base}/machines/ALPHA/${echoId}/console/`, {
      method: 'POST',
      headers: { Cookie: admin.cookieHeader(), 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(noCsrf.status).toBe(403);
    const refusals = panel.lines.filter((l) => l.msg === 'console refused').length;
    expect(refusals).toBeGreaterThanOrEqual(7);
  });

  it('an API ticket needs the same API credentials on the socket', async () => {
    const { status, json } = await apiTicket(echoId);
    expect(status).toBe(201);
    expect(refused(await connectConsole(json.Url)).status).toBe(401);
    const asBob = refused(
      await connectConsole(json.Url, { headers: { 'X-Vmango-User': BOB.user, 'X-Vmango-Pass': BOB.password } }),
    );
    expect(asBob.status).toBe(403);
    expect(asBob.body).toContain('other API credentials');
    const wrong = refused(await connectConsole(json.Url, { headers: { 'X-Vmango-User': ADMIN.user, 'X-Vmango-Pass': 'wrong' } }));
    expect(wrong.status).toBe(401);
    const console = opened(await connectConsole(json.Url, { headers: api }));
    await echoes(console, 'api works\r\n');
    console.ws.close(1000);
    expect((await console.closed).code).toBe(1000);
    // Bad requests say what is allowed.
    const badKind = await apiTicket(echoId, { Kind: 'rdp' });
    expect(badKind.status).toBe(400);
    expect(badKind.json.Error).toContain('serial, vnc');
    expect((await apiTicket('0'.repeat(32))).status).toBe(404);
    expect((await apiTicket(echoId, {}, 'NOPE')).status).toBe(404);
  });

  it('a held serial console is not taken without force; with force the other client is told', async () => {
    const first = opened(await connectConsole((await apiTicket(echoId)).json.Url, { headers: api }));
    const second = await connectConsole((await apiTicket(echoId)).json.Url, { headers: api });
    if (second.refused) throw new Error(`refused: ${second.body}`);
    expect(second.first).toMatchObject({ type: 'error', code: 'conflict' });
    expect(second.first.message).toContain('force');
    expect((await second.closed).code).toBe(4409);
    await echoes(first, 'still mine\r\n');
    const forced = opened(await connectConsole((await apiTicket(echoId, { Force: true })).json.Url, { headers: api }));
    const taken = await first.closed;
    expect(taken.code).toBe(1000);
    expect(taken.reason).toContain('another client took the console over');
    await echoes(forced, 'taken over\r\n');
    forced.ws.close();
    await forced.closed;
  });

  it('the VNC display is reached through SSH with libvirt’s identity', async () => {
    const { status, json } = await apiTicket(vncId, { Kind: 'vnc' });
    expect(status).toBe(201);
    const console = opened(await connectConsole(json.Url, { headers: api }));
    expect(console.first.kind).toBe('vnc');
    // An RFB server greets first with its protocol version.
    await console.waitFor('RFB 003.0', 10_000);
    console.ws.close();
    await console.closed;
    // A machine without a display says so.
    const none = await connectConsole((await apiTicket(echoId, { Kind: 'vnc' })).json.Url, { headers: api });
    if (none.refused) throw new Error(none.body);
    expect(none.first).toMatchObject({ type: 'error', code: 'bad-request' });
    expect(none.first.message).toContain('no VNC display');
  });

  it('closes a console that sees no bytes either way for the idle timeout', async () => {
    const console = opened(await connectConsole((await apiTicket(echoId)).json.Url, { headers: api }));
    await echoes(console, 'then quiet\r\n');
    const quietSince = Date.now();
    const closed = await console.closed;
    expect(closed.code).toBe(4002);
    expect(closed.at - quietSince).toBeGreaterThanOrEqual(IDLE_MS - 200);
    expect(closed.at - quietSince).toBeLessThan(IDLE_MS + 2_000);
  }, 15_000);

  it("a deleted machine's console closes", async () => {
    const id = await echoGuest('d');
    await panel.machines.listMachines(); // the panel knows it
    const console = opened(await connectConsole((await apiTicket(id)).json.Url, { headers: api }));
    await echoesOnceBooted(console, 'before delete\r\n');
    const res = await fetch(`${panel.base}/api/machines/ALPHA/${id}/`, { method: 'DELETE', headers: api });
    expect(res.status).toBe(204);
    const closed = await console.closed;
    expect([1000, 4003]).toContain(closed.code);
  }, 90_000);

  it('with one hypervisor path frozen, the other opens consoles and the frozen one says why within its deadline', async () => {
    // Tickets first (the frozen provider would not answer the machine lookup either).
    const frozenTicket = (await apiTicket(echoId, {}, 'BRAVO')).json;
    expect(frozenTicket.Url).toBeDefined();
    const frozenVnc = (await apiTicket(vncId, { Kind: 'vnc' }, 'BRAVO')).json;
    expect((await harnessCommand('freeze', '2')).code).toBe(0);
    froze = true;
    const started = Date.now();
    const [frozen, frozenScreen, healthy] = await Promise.all([
      connectConsole(frozenTicket.Url, { headers: api, timeoutMs: 60_000 }),
      connectConsole(frozenVnc.Url, { headers: api, timeoutMs: 60_000 }),
      (async () => {
        const console = opened(await connectConsole((await apiTicket(echoId, { Force: true })).json.Url, { headers: api }));
        const openedAfter = Date.now() - started;
        await echoes(console, 'alpha works\r\n');
        console.ws.close();
        return openedAfter;
      })(),
    ]);
    expect(healthy).toBeLessThan(FROZEN_DEADLINE_MS);
    for (const result of [frozen, frozenScreen]) {
      if (result.refused) throw new Error(`refused before opening: ${result.body}`);
      expect(result.first).toMatchObject({ type: 'error', code: 'unavailable' });
      expect(result.first.message).toMatch(/BRAVO|2202/);
      const closed = await result.closed;
      expect(closed.code).toBe(4503);
      expect(closed.at - started).toBeLessThan(FROZEN_DEADLINE_MS + 3_000);
    }
    await harnessCommand('unfreeze', '2');
    froze = false;
  }, 90_000);
});
