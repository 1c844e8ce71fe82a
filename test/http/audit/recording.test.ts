/**
 * Every recording point yields its entry with the right outcome, through the API and the pages
 * alike: power, delete, create, clone, rebuild, resize, properties, snapshots, consoles, logins,
 * failed logins, logouts, token use (once a minute, its id on every entry) and config reloads;
 * and neither a token's secret nor a password reaches the audit file or the panel's log.
 */
import { readFileSync, renameSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../server/core/audit.js';
import { startTestPanel } from '../../helpers/panel.js';
import { DB1_ID, WEB1_ID } from '../api/panel-fixture.js';
import { PageClient } from '../pages/pages-fixture.js';
import { as } from '../access/access-fixture.js';
import { connectConsole } from '../../helpers/console-client.js';
import { auditTestConfig, gentoken, PASSWORD, USERS } from './audit-fixture.js';

const ciToken = gentoken('--user', USERS.operator);
let panel: Awaited<ReturnType<typeof startTestPanel>>;
let file: string;
beforeAll(async () => {
  const made = auditTestConfig(ciToken.block);
  file = made.file;
  panel = await startTestPanel(made.config);
});
afterAll(async () => {
  await panel?.close();
});

async function api(headers: Record<string, string>, path: string, init: { method?: string; body?: unknown } = {}) {
  const res = await fetch(panel.base + path, {
    method: init.method ?? 'GET',
    headers: { ...headers, ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  await res.text();
  return res.status;
}

/** The newest entry with this action (and these fields), from the panel's log as the full user reads it. */
function latest(action: AuditEntry['action'], match: Partial<AuditEntry> = {}): AuditEntry | undefined {
  return panel.audit
    .query({ action, limit: 500 })
    .entries.find((entry) => Object.entries(match).every(([key, value]) => entry[key as keyof AuditEntry] === value));
}

function fileEntries(): AuditEntry[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditEntry);
}

describe('machine changes through the API', () => {
  it('a power action: ok for an operator, refused (with the 403 message) for a viewer', async () => {
    expect(await api(as(USERS.operator), `/api/machines/DEMO/${WEB1_ID}/reboot/`, { method: 'POST' })).toBe(200);
    expect(latest('machine.power', { user: USERS.operator })).toMatchObject({
      outcome: 'ok',
      provider: 'DEMO',
      machine: WEB1_ID,
      machineName: 'web-1',
      address: '127.0.0.1',
      detail: { action: 'reboot' },
    });
    expect(await api(as(USERS.viewer), `/api/machines/DEMO/${WEB1_ID}/stop/`, { method: 'POST' })).toBe(403);
    const refused = latest('machine.power', { user: USERS.viewer });
    expect(refused).toMatchObject({ outcome: 'refused', machine: WEB1_ID, detail: { action: 'stop' } });
    expect(refused!.error).toMatch(/needs the 'power' permission/);
    expect(refused!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('delete refused; create, clone failed on the test driver (501) or refused (403)', async () => {
    expect(await api(as(USERS.viewer), `/api/machines/DEMO/${DB1_ID}/`, { method: 'DELETE' })).toBe(403);
    expect(latest('machine.delete', { user: USERS.viewer })).toMatchObject({ outcome: 'refused', machine: DB1_ID });

    const create = { Name: 'audited', Plan: 'small', Image: 'Debian-12_amd64_qcow2.img', Provider: 'DEMO', SSHKeys: ['test'] };
    expect(await api(as(USERS.admin), '/api/machines/', { method: 'POST', body: create })).toBe(501);
    expect(latest('machine.create', { user: USERS.admin })).toMatchObject({
      outcome: 'failed',
      provider: 'DEMO',
      machineName: 'audited',
      detail: { plan: 'small', image: 'Debian-12_amd64_qcow2.img' },
    });
    expect(await api(as(USERS.viewer), '/api/machines/', { method: 'POST', body: create })).toBe(403);
    expect(latest('machine.create', { user: USERS.viewer })!.error).toMatch(/'create' permission/);
    expect(await api(as(USERS.admin), '/api/machines/', { method: 'POST', body: { ...create, Plan: 'huge' } })).toBe(400);
    expect(latest('machine.create', { user: USERS.admin })).toMatchObject({ outcome: 'refused', error: 'plan "huge" not found' });

    expect(await api(as(USERS.full), `/api/machines/DEMO/${DB1_ID}/stop/`, { method: 'POST' })).toBe(200);
    const clone = await api(as(USERS.full), `/api/machines/DEMO/${DB1_ID}/clone/`, { method: 'POST', body: { Name: 'db-2' } });
    expect(clone).toBe(501);
    expect(latest('machine.clone', { user: USERS.full })).toMatchObject({ outcome: 'failed', machine: DB1_ID });
  });

  it('properties, resize and rebuild', async () => {
    expect(await api(as(USERS.full), `/api/machines/DEMO/${WEB1_ID}/`, { method: 'PATCH', body: { Tags: ['web'] } })).toBe(200);
    expect(latest('machine.properties')).toMatchObject({ outcome: 'ok', user: USERS.full, detail: { changed: 'tags' } });
    const resized = await api(as(USERS.full), `/api/machines/DEMO/${DB1_ID}/resize/`, { method: 'POST', body: { Cpus: 2 } });
    expect(resized).toBe(200);
    expect(latest('machine.resize')).toMatchObject({ outcome: 'ok', machineName: 'db-1', detail: { cpus: 2 } });
    expect(await api(as(USERS.operator), `/api/machines/DEMO/${DB1_ID}/rebuild/`, { method: 'POST', body: {} })).toBe(403);
    expect(latest('machine.rebuild')).toMatchObject({ outcome: 'refused', user: USERS.operator });
  });

  it('snapshots: create, revert, delete, and a refused one', async () => {
    const base = `/api/machines/DEMO/${DB1_ID}/snapshots/`;
    expect(await api(as(USERS.full), base, { method: 'POST', body: { Name: 'audit-1' } })).toBe(201);
    expect(await api(as(USERS.full), base, { method: 'POST', body: { Name: 'audit-1' } })).toBe(409);
    expect(await api(as(USERS.full), `${base}audit-1/revert/`, { method: 'POST', body: {} })).toBe(200);
    expect(await api(as(USERS.full), `${base}audit-1/`, { method: 'DELETE' })).toBe(204);
    expect(await api(as(USERS.viewer), base, { method: 'POST', body: { Name: 'nope' } })).toBe(403);
    const snapshots = panel.audit.query({ machine: DB1_ID, limit: 500 }).entries.filter((e) => e.action.startsWith('snapshot.'));
    expect(snapshots.map((e) => [e.action, e.outcome, e.detail?.snapshot])).toEqual([
      ['snapshot.create', 'refused', 'nope'],
      ['snapshot.delete', 'ok', 'audit-1'],
      ['snapshot.revert', 'ok', 'audit-1'],
      ['snapshot.create', 'refused', 'audit-1'],
      ['snapshot.create', 'ok', 'audit-1'],
    ]);
    expect(snapshots[3]!.error).toBe('db-1 has a snapshot named "audit-1" already');
  });

  it('a console the hypervisor cannot open (the test driver has none) is a failed console.open', async () => {
    const res = await fetch(`${panel.base}/api/machines/DEMO/${WEB1_ID}/console/`, {
      method: 'POST',
      headers: { ...as(USERS.full), 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(201);
    const { Url } = (await res.json()) as { Url: string };
    const result = await connectConsole(Url, { headers: as(USERS.full) });
    if (result.refused) throw new Error(result.body);
    expect(result.first.type).toBe('error');
    await result.closed;
    expect(latest('console.open', { user: USERS.full })).toMatchObject({
      outcome: 'failed',
      provider: 'DEMO',
      machine: WEB1_ID,
      machineName: 'web-1',
      address: '127.0.0.1',
      error: expect.stringContaining('cannot open consoles'),
    });
  });

  it('a console ticket refused for a viewer is a refused console.open', async () => {
    expect(await api(as(USERS.viewer), `/api/machines/DEMO/${WEB1_ID}/console/`, { method: 'POST', body: {} })).toBe(403);
    expect(latest('console.open', { user: USERS.viewer })).toMatchObject({ outcome: 'refused', machine: WEB1_ID });
  });
});

describe('the pages', () => {
  it('login, a failed login, a page power action (ok and refused) and logout', async () => {
    const stranger = new PageClient(panel.base);
    expect((await stranger.login(USERS.viewer, 'not the password')).status).toBe(400);
    expect(latest('login.failed', { user: USERS.viewer })).toMatchObject({
      outcome: 'refused',
      address: '127.0.0.1',
      detail: { via: 'page', reason: 'invalid password' },
    });

    const viewer = new PageClient(panel.base);
    expect((await viewer.login(USERS.viewer, PASSWORD)).status).toBe(303);
    expect(latest('login', { user: USERS.viewer })).toMatchObject({ outcome: 'ok', detail: { via: 'page' } });
    const csrf = await viewer.csrfFrom(`/machines/DEMO/${WEB1_ID}/`);
    const before = panel.audit.query({ action: 'machine.power', user: USERS.viewer }).entries.length;
    expect((await viewer.post(`/machines/DEMO/${WEB1_ID}/stop/`, { csrf })).status).toBe(403);
    const refused = panel.audit.query({ action: 'machine.power', user: USERS.viewer }).entries;
    expect(refused.length).toBe(before + 1);
    expect(refused[0]).toMatchObject({ outcome: 'refused', detail: { action: 'stop' } });

    const operator = new PageClient(panel.base);
    await operator.login(USERS.operator, PASSWORD);
    const opCsrf = await operator.csrfFrom(`/machines/DEMO/${WEB1_ID}/`);
    expect((await operator.post(`/machines/DEMO/${WEB1_ID}/reboot/`, { csrf: opCsrf })).status).toBe(303);
    expect(latest('machine.power', { user: USERS.operator })).toMatchObject({ outcome: 'ok', detail: { action: 'reboot' } });

    expect((await viewer.post('/logout/', { csrf: await viewer.csrfFrom('/logout/') })).status).toBe(303);
    expect(latest('logout', { user: USERS.viewer })).toMatchObject({ outcome: 'ok' });
  });
});

describe('API authentication and tokens', () => {
  it('records a failed API authentication (password or token) without the secret', async () => {
    expect(await api({ 'X-Vmango-User': USERS.operator, 'X-Vmango-Pass': 'hunter2-wrong' }, '/api/machines/')).toBe(401);
    expect(latest('login.failed', { user: USERS.operator })).toMatchObject({
      outcome: 'refused',
      detail: { via: 'api', reason: 'invalid password' },
    });
    expect(await api({ Authorization: `Bearer vmt_${ciToken.id}_${'w'.repeat(43)}` }, '/api/machines/')).toBe(401);
    expect(latest('login.failed', { token: ciToken.id })).toMatchObject({ detail: { via: 'api', reason: 'wrong secret' } });
  });

  it('a token: one token.use a minute however many requests, and its id on every change made with it', async () => {
    const bearer = { Authorization: `Bearer ${ciToken.token}` };
    for (let i = 0; i < 5; i++) expect(await api(bearer, '/api/machines/')).toBe(200);
    expect(await api(bearer, `/api/machines/EAST/${WEB1_ID}/reboot/`, { method: 'POST' })).toBe(200);
    const uses = panel.audit.query({ action: 'token.use', user: ciToken.id }).entries;
    expect(uses.length).toBe(1);
    expect(uses[0]).toMatchObject({ user: USERS.operator, token: ciToken.id, outcome: 'ok', address: '127.0.0.1' });
    expect(latest('machine.power', { provider: 'EAST' })).toMatchObject({
      user: USERS.operator,
      token: ciToken.id,
      outcome: 'ok',
    });
  });

  it('neither the token’s secret nor a password reaches the audit file or the log', async () => {
    await expect.poll(() => fileEntries().length).toBe(panel.audit.window.size);
    const secret = ciToken.token.split('_').slice(2).join('_');
    const written = readFileSync(file, 'utf8');
    const logged = JSON.stringify(panel.lines);
    for (const text of [written, logged]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(ciToken.token);
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain('hunter2-wrong');
      expect(text).not.toContain('not the password');
    }
    expect(written).toContain(ciToken.id);
  });
});

describe('config reload', () => {
  it('is recorded with its outcome, and reopens the file (rotation)', async () => {
    await expect.poll(() => fileEntries().length).toBe(panel.audit.window.size);
    renameSync(file, `${file}.1`);
    // The fixture's config path is not a file: the reload fails, the running config stays, the log reopens.
    expect(panel.reloadFromFile()).toBeUndefined();
    expect(latest('config.reload')).toMatchObject({ outcome: 'failed' });
    panel.reload(auditTestConfig(ciToken.block, file).config);
    expect(latest('config.reload')).toMatchObject({ outcome: 'ok' });
    await expect
      .poll(() => fileEntries().map((e) => [e.action, e.outcome]))
      .toEqual([
        ['config.reload', 'failed'],
        ['config.reload', 'ok'],
      ]);
  });
});
