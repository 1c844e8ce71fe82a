/**
 * Snapshots through the API on the demo hypervisor (libvirt's test driver keeps snapshots as a
 * real one does, without disks behind them): create, list, refuse a duplicate and bad names,
 * revert (a running machine only with Force), delete; a machine that cannot have them says why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB1_ID, LEGACY_ID, startApiPanel, WEB1_ID, apiClient } from './panel-fixture.js';

type Panel = Awaited<ReturnType<typeof startApiPanel>>;
let panel: Panel;
beforeAll(async () => {
  panel = await startApiPanel();
});
afterAll(async () => {
  await panel?.close();
});

const api = apiClient(() => panel.base);
const json = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});
const base = (id: string) => `/api/machines/DEMO/${id}/snapshots/`;

describe('snapshots over the API', () => {
  it('creates one of a running machine (with its memory), lists it, refuses a second of that name', async () => {
    const created = await api(base(WEB1_ID), json('POST', { Name: 'before-upgrade', Description: 'kernel <6.1> & "co"' }));
    expect(created.status, created.text).toBe(201);
    expect(created.headers.get('location')).toBe(`${base(WEB1_ID)}before-upgrade/`);
    expect(created.json!.Snapshot).toMatchObject({
      Name: 'before-upgrade',
      Description: 'kernel <6.1> & "co"',
      State: 'running',
      Memory: true,
      Parent: '',
    });
    expect(Date.parse(created.json!.Snapshot.Created)).toBeGreaterThan(Date.now() - 3_600_000);

    const list = await api(base(WEB1_ID));
    expect(list.status).toBe(200);
    expect(list.json).toMatchObject({ Machine: { Provider: 'DEMO', Id: WEB1_ID, Name: 'web-1' }, Unsupported: '' });
    expect(list.json!.Snapshots.map((s: { Name: string }) => s.Name)).toEqual(['before-upgrade']);

    const again = await api(base(WEB1_ID), json('POST', { Name: 'before-upgrade' }));
    expect(again.status).toBe(409);
    expect(again.json!.Error).toBe('web-1 has a snapshot named "before-upgrade" already');
  });

  it('names one from the time when no name is given; refuses names and descriptions the rules do not allow', async () => {
    const unnamed = await api(base(DB1_ID), json('POST', {}));
    expect(unnamed.status, unnamed.text).toBe(201);
    expect(unnamed.json!.Snapshot.Name).toMatch(/^snap-\d{8}-\d{6}$/);
    for (const [body, message] of [
      [{ Name: '</name><evil/>' }, /is not a snapshot name; a snapshot name is 1–64 letters, digits and \. _ -/],
      [{ Name: '.hidden' }, /is not a snapshot name/],
      [{ Name: 'ok', Description: 'bell \u0007' }, /description is at most 1024 characters, without control characters/],
      [{ Name: 'ok', Force: true }, /^unknown field "Force"; the fields are Name, Description$/],
    ] as const) {
      const res = await api(base(DB1_ID), json('POST', body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json!.Error).toMatch(message);
    }
  });

  it('reverts a running machine only with Force, then deletes the snapshot', async () => {
    await api(base(WEB1_ID), json('POST', { Name: 'point' }));
    const refused = await api(`${base(WEB1_ID)}point/revert/`, json('POST', {}));
    expect(refused.status).toBe(400);
    expect(refused.json!.Error).toBe(
      'web-1 is running: reverting it to "point" discards what it did since, memory and disks; revert with Force to do it anyway',
    );
    const reverted = await api(`${base(WEB1_ID)}point/revert/`, json('POST', { Force: true }));
    expect(reverted.status, reverted.text).toBe(200);
    expect(reverted.json!.Message).toBe('Machine reverted to snapshot point');
    const machine = await api(`/api/machines/DEMO/${WEB1_ID}/`);
    expect(machine.json!.Machine.State).toBe('running');

    expect((await api(`${base(WEB1_ID)}point/`, { method: 'DELETE' })).status).toBe(204);
    const gone = await api(`${base(WEB1_ID)}point/`, { method: 'DELETE' });
    expect(gone.status).toBe(404);
    expect(gone.json!.Error).toBe('web-1 has no snapshot named "point"');
    expect((await api(`${base(WEB1_ID)}nope/revert/`, json('POST', { Force: true }))).status).toBe(404);
    const names = (await api(base(WEB1_ID))).json!.Snapshots.map((s: { Name: string }) => s.Name);
    expect(names).not.toContain('point');
  });

  it('says why a machine cannot have snapshots, in the list and when asked to take one', async () => {
    const list = await api(base(LEGACY_ID));
    expect(list.json!.Unsupported).toBe('it has no writable disk to snapshot');
    const refused = await api(base(LEGACY_ID), json('POST', { Name: 'x' }));
    expect(refused.status).toBe(400);
    expect(refused.json!.Error).toBe('legacy-appliance cannot have snapshots: it has no writable disk to snapshot');
  });

  it('answers 404 for an unknown machine, 501 for other methods, 401 without credentials', async () => {
    expect((await api(base('0'.repeat(32)))).status).toBe(404);
    expect((await api(base(WEB1_ID), { method: 'PUT' })).status).toBe(501);
    expect((await fetch(`${panel.base}${base(WEB1_ID)}`)).status).toBe(401);
  });
});
