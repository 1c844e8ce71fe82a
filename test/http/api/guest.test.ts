/**
 * GET /api/machines/{provider}/{id}/guest/ on the demo hypervisor. libvirt's test driver has no
 * guest agent, so this is the "not answering" path: 200, Agent.Answering false with libvirt's
 * reason, the facts empty; a stopped machine says so; unknown machines and other methods are
 * refused as elsewhere in the API. The answering path is test/system/guest/agent.harness.test.ts.
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
const guest = (id: string) => `/api/machines/DEMO/${id}/guest/`;

describe('guest facts over the API', () => {
  it('a running machine whose agent does not answer: 200, the reason, no facts', async () => {
    const res = await api(guest(WEB1_ID));
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({
      Machine: { Provider: 'DEMO', Id: WEB1_ID, Name: 'web-1', State: 'running' },
      Agent: { Answering: false },
      Os: null,
      Hostname: '',
      Timezone: null,
      Users: [],
      Filesystems: [],
      Nics: [],
      Title: 'Guest facts of web-1',
    });
    expect(res.json!.Agent.Error).toMatch(/^guest agent not answering: .*not supported.*virDomainQemuAgentCommand/);
    expect(Date.parse(res.json!.ReadAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('a stopped machine: not answering, because it is stopped', async () => {
    expect((await api(`/api/machines/DEMO/${WEB1_ID}/stop/`, { method: 'POST' })).status).toBe(200);
    try {
      const res = await api(guest(WEB1_ID));
      expect(res.status).toBe(200);
      expect(res.json!.Agent).toEqual({ Answering: false, Error: 'guest agent not answering: the machine is stopped' });
    } finally {
      expect((await api(`/api/machines/DEMO/${WEB1_ID}/start/`, { method: 'POST' })).status).toBe(200);
    }
  });

  it('refuses unknown machines and providers, bad ids and other methods', async () => {
    expect((await api(guest('0123456789abcdef0123456789abcdef'))).status).toBe(404);
    expect((await api(guest('not-an-id'))).status).toBe(404);
    expect((await api(`/api/machines/NOPE/${WEB1_ID}/guest/`)).status).toBe(404);
    const post = await api(guest(WEB1_ID), { method: 'POST' });
    expect(post.status).toBe(501);
  });

  it('needs credentials', async () => {
    const res = await fetch(`${panel.base}${guest(WEB1_ID)}`);
    expect(res.status).toBe(401);
  });
});
