/**
 * API tokens: made by `vmango gentoken`, accepted as `Authorization: Bearer`, narrowed by their
 * scope and never wider than their user; expired, unknown, malformed or wrong ones are 401; a
 * removed block revokes the token on SIGHUP (in the real vmango process, its open event stream
 * kept); the token never shows in the log.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGentoken } from '../../../server/app/cli/gentoken.js';
import { loadConfig } from '../../../server/config/index.js';
import { freePort } from '../../../bench/helpers/panel-process.js';
import { startTestPanel } from '../../helpers/panel.js';
import { spawnPanelProcess, waitUntil } from '../../helpers/panel-process.js';
import { DB1_ID, WEB1_ID } from '../api/panel-fixture.js';
import { PageClient } from '../pages/pages-fixture.js';
import { accessConfigText, PASSWORD, USERS } from './access-fixture.js';

/** Runs `vmango gentoken ARGS`: the token and the config block it printed. */
function gentoken(...args: string[]): { token: string; block: string } {
  let out = '';
  const sink = new Writable({ write: (chunk, _e, done) => ((out += String(chunk)), done()) });
  const code = runGentoken(args, {
    stdout: sink as unknown as NodeJS.WriteStream,
    stderr: sink as unknown as NodeJS.WriteStream,
  });
  expect(code, out).toBe(0);
  const token = /^ {2}(vmt_\S+)$/m.exec(out)?.[1];
  const block = /^token "[^"]+" \{[\s\S]*?^\}$/m.exec(out)?.[0];
  expect(token).toBeDefined();
  expect(block).toBeDefined();
  return { token: token!, block: block! };
}

describe('vmango gentoken', () => {
  it('prints a token once and a block holding only its hash', () => {
    const { token, block } = gentoken('--user', 'otto', '--scope', 'viewer:hypervisors=EAST,DEMO', '--expires', '30d');
    const secret = token.split('_').slice(2).join('_');
    expect(block).not.toContain(secret);
    expect(block).toMatch(/hash {8}= "sha256:[0-9a-f]{64}"/);
    expect(block).toContain('hypervisors = ["EAST", "DEMO"]');
    expect(block).toMatch(/expires {5}= "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"/);
  });

  it('refuses a description that would be HCL interpolation, and a bad scope', () => {
    const sink = new Writable({ write: (_c, _e, done) => done() }) as unknown as NodeJS.WriteStream;
    expect(runGentoken(['--user', 'x', '--description', '${file("/etc/shadow")}'], { stdout: sink, stderr: sink })).toBe(2);
    expect(runGentoken(['--user', 'x', '--scope', 'viewer:everything'], { stdout: sink, stderr: sink })).toBe(2);
    expect(runGentoken(['--scope', 'viewer'], { stdout: sink, stderr: sink })).toBe(2);
  });
});

describe('Bearer tokens on the API', () => {
  const plain = gentoken('--user', USERS.operator);
  const narrowed = gentoken('--user', USERS.operator, '--scope', 'viewer');
  // The admin role cannot widen an operator: both the user's access and the token's must allow.
  const wider = gentoken('--user', USERS.operator, '--scope', 'admin');
  const expired = gentoken('--user', USERS.operator, '--expires', '2020-01-01T00:00:00Z');
  let panel: Awaited<ReturnType<typeof startTestPanel>>;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmango-tokens-'));
    const file = join(dir, 'vmango.conf');
    writeFileSync(file, accessConfigText([plain, narrowed, wider, expired].map((t) => t.block).join('\n')));
    panel = await startTestPanel(loadConfig(file), { pages: false });
  });
  afterAll(async () => {
    await panel?.close();
  });

  const call = async (token: string, path: string, method = 'GET') => {
    const res = await fetch(panel.base + path, { method, headers: { Authorization: `Bearer ${token}` } });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };

  it('acts as its user', async () => {
    expect((await call(plain.token, '/api/machines/')).status).toBe(200);
    expect((await call(plain.token, `/api/machines/DEMO/${WEB1_ID}/reboot/`, 'POST')).status).toBe(200);
    const tokens = await call(plain.token, '/api/tokens/');
    expect((tokens.json.Tokens as { Id: string }[]).map((t) => t.Id).sort()).toEqual(
      [plain, narrowed, wider, expired].map((t) => /token "([^"]+)"/.exec(t.block)![1]).sort(),
    );
    expect(JSON.stringify(tokens.json)).not.toMatch(/sha256|[0-9a-f]{64}/);
  });

  it('a scope narrows it (403 naming the permission) and never widens it', async () => {
    const refused = await call(narrowed.token, `/api/machines/DEMO/${WEB1_ID}/reboot/`, 'POST');
    expect(refused.status).toBe(403);
    expect(refused.json.Permission).toBe('power');
    expect((await call(narrowed.token, `/api/machines/DEMO/${WEB1_ID}/`)).status).toBe(200);
    expect((await call(wider.token, `/api/machines/DEMO/${WEB1_ID}/reboot/`, 'POST')).status).toBe(200);
    const deleted = await call(wider.token, `/api/machines/DEMO/${DB1_ID}/`, 'DELETE');
    expect(deleted.status).toBe(403);
    expect(deleted.json.Permission).toBe('delete');
  });

  it('expired, unknown, wrong and malformed tokens are 401, and no token reaches the log', async () => {
    const forged = plain.token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    const unknown = plain.token.replace(/^vmt_[^_]+_/, 'vmt_t-00000000_');
    for (const token of [expired.token, forged, unknown, 'vmt_nope', 'x'.repeat(5000)])
      expect((await call(token, '/api/machines/')).status, token.slice(0, 30)).toBe(401);
    const log = JSON.stringify(panel.lines);
    expect(log).toContain('expired token');
    expect(log).toContain('wrong secret');
    for (const token of [plain, narrowed, wider, expired]) {
      expect(log).not.toContain(token.token);
      expect(log).not.toContain(token.token.split('_').slice(2).join('_'));
    }
  });
});

describe('SIGHUP in the vmango process', () => {
  const kept = gentoken('--user', USERS.viewer);
  const revoked = gentoken('--user', USERS.viewer);
  let proc: ReturnType<typeof spawnPanelProcess>;
  let dir: string;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'vmango-sighup-'));
    proc = spawnPanelProcess(
      dir,
      'hup',
      `listen = "127.0.0.1:${port}"\n${accessConfigText(`${kept.block}\n${revoked.block}`)}`,
      port,
    );
    await waitUntil(
      async () => (await fetch(`${proc.base}/healthz`).catch(() => undefined))?.ok === true,
      30_000,
      'the panel to start',
    );
  }, 60_000);
  afterAll(async () => {
    await proc?.stop();
  });

  it('revokes a removed token and drops a removed user, keeping open event streams', async () => {
    const status = async (token: string) =>
      (await fetch(`${proc.base}/api/machines/`, { headers: { Authorization: `Bearer ${token}` } })).status;
    expect(await status(revoked.token)).toBe(200);
    const client = new PageClient(proc.base);
    expect((await client.login(USERS.operator, PASSWORD)).status).toBe(303);
    const controller = new AbortController();
    const stream = await fetch(`${proc.base}/events/`, { headers: { Cookie: client.cookieHeader() }, signal: controller.signal });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    await reader.read();

    // The new file: one token gone, and user "tim" gone.
    const text = `listen = "127.0.0.1:${port}"\n${accessConfigText(kept.block)}`.replace(/user "tim" \{[\s\S]*?\n\}\n/, '');
    writeFileSync(join(dir, 'hup.conf'), text);
    proc.child.kill('SIGHUP');
    await waitUntil(async () => proc.output().includes('config reloaded'), 15_000, 'the reload');
    expect(await status(revoked.token)).toBe(401);
    expect(await status(kept.token)).toBe(200);
    const tim = await fetch(`${proc.base}/api/machines/`, { headers: { 'X-Vmango-User': 'tim', 'X-Vmango-Pass': PASSWORD } });
    expect(tim.status).toBe(401);
    // The stream opened before the reload still delivers (a heartbeat or an event).
    const next = await Promise.race([reader.read(), new Promise((r) => setTimeout(() => r('timeout'), 40_000))]);
    expect(next).not.toBe('timeout');
    expect((next as { done: boolean }).done).toBe(false);
    controller.abort();
    expect(proc.output()).not.toContain(revoked.token.split('_').slice(2).join('_'));

    // A file with a problem changes nothing and says so.
    writeFileSync(join(dir, 'hup.conf'), `${text}\nbogus_key = 1\n`);
    proc.child.kill('SIGHUP');
    await waitUntil(async () => proc.output().includes('config not reloaded'), 15_000, 'the refused reload');
    expect(await status(kept.token)).toBe(200);
    expect(proc.child.exitCode).toBe(null);
  }, 90_000);
});
