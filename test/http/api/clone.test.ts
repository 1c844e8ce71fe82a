/**
 * Clone through the API on the demo hypervisor (libvirt's test driver, which cannot copy a
 * volume): every refusal that comes before the copy — a bad or taken name, a running source, an
 * unknown field — names what is wrong and what is allowed, and nothing changes. The clone itself
 * is proven on the harness (test/system/clone/) and inside a real guest (test/system/e2e/).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, DB1_ID, startApiPanel, WEB1_ID } from './panel-fixture.js';

type Panel = Awaited<ReturnType<typeof startApiPanel>>;
let panel: Panel;
beforeAll(async () => {
  panel = await startApiPanel();
});
afterAll(async () => {
  await panel?.close();
});

const api = apiClient(() => panel.base);
const clone = (id: string, body: unknown) =>
  api(`/api/machines/DEMO/${id}/clone/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
const names = async () => ((await api('/api/machines/')).json!.Machines.DEMO as { Name: string }[]).map((m) => m.Name).sort();

describe('clone over the API', () => {
  it('refuses a running source: a clone is made of a shut-off machine', async () => {
    const res = await clone(WEB1_ID, { Name: 'web-1-copy' });
    expect(res.status, res.text).toBe(409);
    expect(res.json!.Error).toBe(
      'machine web-1 is running; a clone is made of a shut-off machine only (as virt-clone and cockpit do), so its disk is consistent: stop it first',
    );
  });

  it('refuses bad names, taken names and unknown fields, naming what is allowed, and changes nothing', async () => {
    expect((await api(`/api/machines/DEMO/${DB1_ID}/stop/`, { method: 'POST' })).status).toBe(200);
    const before = await names();
    for (const [body, status, message] of [
      [{}, 400, /^clone name: /],
      [{ Name: 'bad name!' }, 400, /^clone name: /],
      [{ Name: "x'/><evil/>" }, 400, /^clone name: /],
      [{ Name: 'db-1' }, 409, /^machine with name 'db-1' already exists on provider 'DEMO'$/],
      [{ Name: 'web-1' }, 409, /^machine with name 'web-1' already exists on provider 'DEMO'$/],
      [{ Name: 'ok', Full: 'maybe' }, 400, /^Full must be true or false, not "maybe"$/],
      [{ Name: 'ok', Disk: 'x' }, 400, /^unknown field "Disk"; the fields are Name, Full, Start$/],
    ] as const) {
      const res = await clone(DB1_ID, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.json!.Error).toMatch(message);
    }
    expect(await names()).toEqual(before);
  });

  it('says the test driver cannot copy a disk, and leaves nothing', async () => {
    const before = await names();
    const res = await clone(DB1_ID, { Name: 'db-1-copy' });
    expect(res.status, res.text).toBe(501);
    expect(res.json!.Error).toMatch(/test driver, which cannot copy a volume/);
    expect(await names()).toEqual(before);
  });

  it('needs the API credentials', async () => {
    const res = await fetch(`${panel.base}/api/machines/DEMO/${DB1_ID}/clone/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ Name: 'db-1-copy' }),
    });
    expect(res.status).toBe(401);
  });
});
