/**
 * Resize through the API on the demo hypervisor (libvirt's test driver): a stopped machine takes
 * a plan (CPUs, memory, disk) at its next boot and records the plan in 0.6's metadata; a running
 * one gets what its running definition leaves room for now and the rest at its next boot; disks
 * only grow; bad values are refused naming what is allowed, and nothing changes.
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
const resize = (id: string, body: unknown) =>
  api(`/api/machines/DEMO/${id}/resize/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
const machine = async (id: string) => (await api(`/api/machines/DEMO/${id}/`)).json!.Machine;

describe('resize over the API', () => {
  it('gives a stopped machine more CPUs and memory at its next boot', async () => {
    expect((await api(`/api/machines/DEMO/${DB1_ID}/stop/`, { method: 'POST' })).status).toBe(200);
    const res = await resize(DB1_ID, { Cpus: 4, MemoryMegabytes: 3072 });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ Message: 'Machine db-1 resized', AppliedNow: [], AtNextBoot: ['cpus', 'memory'] });
    expect((await api(`/api/machines/DEMO/${DB1_ID}/start/`, { method: 'POST' })).status).toBe(200);
    expect(await machine(DB1_ID)).toMatchObject({ Cpus: 4, Memory: 3072 * 1024 ** 2 });
  });

  it('changes a running machine now where its maximum leaves room, the rest at its next boot', async () => {
    const res = await resize(WEB1_ID, { Cpus: 2, MemoryMegabytes: 256 });
    expect(res.status, res.text).toBe(200);
    expect(res.json!.AppliedNow).toContain('memory');
    expect(res.json!.AtNextBoot).toContain('cpus');
  });

  it('refuses what it cannot do, saying what is allowed, and changes nothing', async () => {
    const before = await machine(WEB1_ID);
    for (const [body, message] of [
      [{}, /^nothing to resize; give a Plan, or Cpus, MemoryMegabytes or DiskSizeGigabytes$/],
      [{ Cpus: 0 }, /^Cpus must be a whole number from 1 to 256$/],
      [{ Cpus: '2; rm -rf /' }, /^Cpus must be a whole number/],
      [{ MemoryMegabytes: 16 }, /^memory must be whole MiB, at least 64 MiB$/],
      [{ Plan: 'huge' }, /^plan "huge" not found; the plans are /],
      [{ DiskSizeGigabytes: 1 }, /^disks only grow: web-1's disk is 10240 MiB, more than 1024 MiB$/],
      [{ Memory: 1 }, /^unknown field "Memory"; the fields are Plan, Cpus, MemoryMegabytes, DiskSizeGigabytes$/],
    ] as const) {
      const res = await resize(WEB1_ID, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json!.Error).toMatch(message);
    }
    expect(await machine(WEB1_ID)).toEqual(before);
  });
});
