/**
 * Rebuild through the API on the demo hypervisor (libvirt's test driver, which cannot copy an
 * image): the refusals before any disk is made name what is wrong and what is allowed, and nothing
 * changes. The rebuild itself is proven on the harness (test/system/rebuild/) and in a real guest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startApiPanel, WEB1_ID } from './panel-fixture.js';

type Panel = Awaited<ReturnType<typeof startApiPanel>>;
let panel: Panel;
beforeAll(async () => {
  panel = await startApiPanel();
});
afterAll(async () => {
  await panel?.close();
});

const api = apiClient(() => panel.base);
const rebuild = (body: unknown) =>
  api(`/api/machines/DEMO/${WEB1_ID}/rebuild/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('rebuild over the API', () => {
  it('refuses bad input naming it, and changes nothing', async () => {
    const before = (await api(`/api/machines/DEMO/${WEB1_ID}/`)).json!.Machine;
    for (const [body, status, message] of [
      [{ Image: 'no-such.img' }, 400, /^image "no-such.img" not found on provider "DEMO"$/],
      [{ SSHKeys: ['nobody'] }, 400, /^ssh key 'nobody' doesn't exist$/],
      [{ SSHKeys: [1] }, 400, /^SSHKey must be text$/],
      [{ Userdata: 'x'.repeat(70 * 1024) }, 400, /userdata/i],
      [{ Plan: 'small' }, 400, /^unknown field "Plan"; the fields are Image, SSHKey, Userdata$/],
      [{ Image: 'a', image: 'b' }, 400, /^the field Image is given twice$/],
      [[], 400, /^the request body must be a JSON object/],
    ] as const) {
      const res = await rebuild(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect(res.json!.Error).toMatch(message);
    }
    expect((await api(`/api/machines/DEMO/${WEB1_ID}/`)).json!.Machine).toEqual(before);
  });

  it('says the test driver cannot rebuild', async () => {
    const res = await rebuild({});
    expect(res.status, res.text).toBe(501);
    expect(res.json!.Error).toMatch(/can be rebuilt only on a real \(qemu\/kvm\) hypervisor/);
  });
});
