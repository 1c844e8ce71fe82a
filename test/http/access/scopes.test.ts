/**
 * Grant scopes, through the API, the pages and the live stream: a user scoped to one hypervisor
 * never sees the other's machines, images or events; a tag scope reaches only tagged machines;
 * userdata shows only with `userdata-read`; a viewer's machine page offers no power, console or
 * delete controls, and the create links show only to users who may create.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPanel } from '../../helpers/panel.js';
import { DB1_ID, WEB1_ID } from '../api/panel-fixture.js';
import { PageClient } from '../pages/pages-fixture.js';
import { openEventStream } from '../live/sse-client.js';
import { accessTestConfig, as, PASSWORD, USERS } from './access-fixture.js';

let panel: Awaited<ReturnType<typeof startTestPanel>>;
beforeAll(async () => {
  panel = await startTestPanel(accessTestConfig(), { pages: { stream: { heartbeatMs: 200 } } });
});
afterAll(async () => {
  await panel?.close();
});

async function api(user: string, path: string, init: { method?: string; body?: unknown } = {}) {
  const res = await fetch(panel.base + path, {
    method: init.method ?? 'GET',
    headers: { ...as(user), ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever the API sent
  return { status: res.status, json: (text ? JSON.parse(text) : {}) as Record<string, any> };
}

async function loggedIn(user: string): Promise<PageClient> {
  const client = new PageClient(panel.base);
  expect((await client.login(user, PASSWORD)).status).toBe(303);
  return client;
}

/** The live stream's events with data, as they arrive, for a logged-in client. */
async function stream(client: PageClient) {
  const live = await openEventStream(panel.base, client.cookieHeader());
  expect(live.res.status).toBe(200);
  return {
    get events() {
      return live.received.filter((event) => event.data !== '');
    },
    close: live.close,
  };
}

describe('a user scoped to one hypervisor (operator on EAST)', () => {
  it('lists, images and providers: only EAST', async () => {
    const list = await api(USERS.east, '/api/machines/');
    expect(Object.keys(list.json.Machines)).toEqual(['EAST']);
    expect(Object.keys(list.json.Providers)).toEqual(['EAST']);
    expect(list.json.Machines.EAST.length).toBe(3);
    const images = await api(USERS.east, '/api/images/');
    expect(Object.keys(images.json.Images)).toEqual(['EAST']);
    const providers = await api(USERS.east, '/api/providers/');
    expect(providers.json.Providers.map((p: { Name: string }) => p.Name)).toEqual(['EAST']);
    // The full user still sees both, and the two lists are not served from one another's cache.
    expect(Object.keys((await api(USERS.full, '/api/machines/')).json.Machines)).toEqual(['DEMO', 'EAST']);
    expect(Object.keys((await api(USERS.east, '/api/machines/')).json.Machines)).toEqual(['EAST']);
  });

  it('is refused a DEMO machine with 403, which names the id and not the name', async () => {
    const answer = await api(USERS.east, `/api/machines/DEMO/${WEB1_ID}/`);
    expect(answer.status).toBe(403);
    expect(answer.json.Permission).toBe('view');
    expect(answer.json.Error).toContain(WEB1_ID);
    expect(answer.json.Error).not.toContain('web-1');
    const stop = await api(USERS.east, `/api/machines/DEMO/${WEB1_ID}/stop/`, { method: 'POST' });
    expect(stop.status).toBe(403);
    expect((await api(USERS.full, `/api/machines/DEMO/${WEB1_ID}/`)).json.Machine.State).toBe('running');
    // On EAST the same machine is the user's to power.
    expect((await api(USERS.east, `/api/machines/EAST/${WEB1_ID}/reboot/`, { method: 'POST' })).status).toBe(200);
  });

  it('on the pages: the machines and images of EAST only, and no create link', async () => {
    const client = await loggedIn(USERS.east);
    const machines = await (await client.get('/machines/')).text();
    expect(machines).toContain(`/machines/EAST/${WEB1_ID}/`);
    expect(machines).not.toContain(`/machines/DEMO/${WEB1_ID}/`);
    expect(machines).not.toContain('href="/machines/add/"');
    const images = await (await client.get('/images/')).text();
    expect(images).toContain('EAST');
    expect(images).not.toMatch(/<h2[^>]*>\s*DEMO/);
    expect((await client.get(`/machines/DEMO/${WEB1_ID}/`)).status).toBe(403);
  });

  it('hears in the live stream of EAST only', async () => {
    const client = await loggedIn(USERS.east);
    const live = await stream(client);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const providers = live.events.filter((e) => e.event === 'provider').map((e) => JSON.parse(e.data).name as string);
      expect(providers).toEqual(['EAST']);
      // A change on each hypervisor; only EAST's reaches this user.
      expect((await api(USERS.full, `/api/machines/DEMO/${DB1_ID}/stop/`, { method: 'POST' })).status).toBe(200);
      expect((await api(USERS.full, `/api/machines/EAST/${DB1_ID}/stop/`, { method: 'POST' })).status).toBe(200);
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline && !live.events.some((e) => e.event === 'machine'))
        await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500));
      const machines = live.events.filter((e) => e.event === 'machine').map((e) => JSON.parse(e.data) as { provider: string });
      expect(machines.length).toBeGreaterThan(0);
      expect(machines.every((m) => m.provider === 'EAST')).toBe(true);
    } finally {
      await live.close();
    }
  });
});

describe('a tag scope (operator on machines tagged "web")', () => {
  it('sees and powers only tagged machines, and gains one when it is tagged', async () => {
    const names = async () =>
      ((await api(USERS.tagged, '/api/machines/')).json.Machines.DEMO ?? []).map((m: { Name: string }) => m.Name);
    expect(await names()).toEqual([]);
    expect((await api(USERS.tagged, `/api/machines/DEMO/${WEB1_ID}/reboot/`, { method: 'POST' })).status).toBe(403);
    const tagged = await api(USERS.full, `/api/machines/DEMO/${WEB1_ID}/`, { method: 'PATCH', body: { AddTags: ['web'] } });
    expect(tagged.status).toBe(200);
    expect(await names()).toEqual(['web-1']);
    expect((await api(USERS.tagged, `/api/machines/DEMO/${WEB1_ID}/reboot/`, { method: 'POST' })).status).toBe(200);
    // The tag scope gives no right to change tags (operator has no `tags`): it cannot widen itself.
    const widen = await api(USERS.tagged, `/api/machines/DEMO/${DB1_ID}/`, { method: 'PATCH', body: { AddTags: ['web'] } });
    expect(widen.status).toBe(403);
  });
});

describe('userdata', () => {
  const userdataOf = async (user: string): Promise<string> => {
    const client = await loggedIn(user);
    const html = await (await client.get(`/machines/DEMO/${WEB1_ID}/`)).text();
    return /<pre class="userdata">([^<]*)<\/pre>/.exec(html)?.[1] ?? '';
  };

  it('shows to the full user and to the owner with userdata-read, never to a viewer', async () => {
    expect(await userdataOf(USERS.full)).toContain('#cloud-config');
    // web-1's creator is "demo": the reader role on owned machines gives them its userdata.
    expect(await userdataOf(USERS.owner)).toContain('#cloud-config');
    expect(await userdataOf(USERS.viewer)).toBe('');
    const client = await loggedIn(USERS.viewer);
    expect(await (await client.get(`/machines/DEMO/${WEB1_ID}/`)).text()).toContain("needs the 'userdata-read' permission");
  });
});

describe("a viewer's pages", () => {
  it('have no power, console, delete, snapshot, resize, clone, rebuild or create controls', async () => {
    const client = await loggedIn(USERS.viewer);
    const html = await (await client.get(`/machines/DEMO/${WEB1_ID}/`)).text();
    expect(html).toContain('web-1');
    for (const control of [
      'data-action="stop"',
      'data-action="reboot"',
      'data-console-link',
      `/machines/DEMO/${WEB1_ID}/delete/`,
      'id="resize"',
      'id="clone"',
      'id="rebuild"',
      'class="snapshot-form"',
      'class="properties-form"',
      'href="/machines/add/"',
    ])
      expect(html, control).not.toContain(control);
    // …while the admin's page has every one of them.
    const admin = await loggedIn(USERS.admin);
    const full = await (await admin.get(`/machines/DEMO/${WEB1_ID}/`)).text();
    for (const control of [
      'data-action="stop"',
      'data-console-link',
      'id="resize"',
      'class="snapshot-form"',
      'href="/machines/add/"',
    ])
      expect(full, control).toContain(control);
  });

  it('refuse a power action posted anyway, with 403', async () => {
    const client = await loggedIn(USERS.viewer);
    const csrf = await client.csrfFrom(`/machines/DEMO/${WEB1_ID}/`);
    const res = await client.post(`/machines/DEMO/${WEB1_ID}/stop/`, { csrf });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('needs the &#x27;power&#x27; permission');
  });
});
