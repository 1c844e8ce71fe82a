/** Every page renders on the demo test-driver hypervisor; actions, delete and create go through the service. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, DB1_ID, LEGACY_ID, PageClient, WEB1_ID, startPagesPanel } from './pages-fixture.js';

let panel: Awaited<ReturnType<typeof startPagesPanel>>;
let client: PageClient;
beforeAll(async () => {
  panel = await startPagesPanel({ withUnavailable: true });
  client = new PageClient(panel.base);
  expect((await client.login(ADMIN.user, ADMIN.password)).status).toBe(303);
});
afterAll(async () => {
  await panel?.close();
});

async function page(path: string, status = 200): Promise<string> {
  const res = await client.get(path);
  expect(res.status, path).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  return res.text();
}

function csrfOf(html: string): string {
  return /name="csrf" value="([^"]+)"/.exec(html)![1]!;
}

describe('pages', () => {
  it('providers: one card per hypervisor, the unavailable one with its reason and since when', async () => {
    const html = await page('/');
    expect(html).toMatch(/data-provider="DEMO"/);
    expect(html).toMatch(/data-provider-badge="DEMO">connected</);
    expect(html).toMatch(/data-provider-badge="GONE">unavailable</);
    expect(html).toContain('test:///');
    expect(html).toMatch(/<time datetime="\d{4}-/);
    expect(html).toContain('Memory');
    expect(html).toContain('Storage');
  });

  it('machines: every demo machine with state, and the unavailable provider called out', async () => {
    const html = await page('/machines/');
    for (const name of ['web-1', 'db-1', 'legacy-appliance']) expect(html).toContain(`>${name}</a>`);
    expect(html).toContain(`data-machine="DEMO/${WEB1_ID}"`);
    expect(html).toMatch(/Provider <strong>GONE<\/strong> is unavailable/);
  });

  it('machines: search, filter and sort', async () => {
    const found = await page('/machines/?q=legacy');
    expect(found).toContain('legacy-appliance');
    expect(found).not.toContain('>web-1</a>');
    const sorted = await page('/machines/?sort=name&dir=desc');
    expect(sorted.indexOf('>web-1</a>')).toBeLessThan(sorted.indexOf('>db-1</a>'));
    const none = await page('/machines/?state=paused&q=nothing-matches');
    expect(none).toContain('No machine matches these filters.');
  });

  it('machine detail shows what the service knows', async () => {
    const machine = await panel.service.getMachine('DEMO', WEB1_ID);
    const html = await page(`/machines/DEMO/${WEB1_ID}/`);
    expect(html).toContain(machine.name);
    if (machine.hwaddr) expect(html).toContain(machine.hwaddr);
    if (machine.plan) expect(html).toContain(machine.plan);
    if (machine.imageId) expect(html).toContain(machine.imageId);
    if (machine.rootDisk) expect(html).toContain(machine.rootDisk.path);
    for (const key of machine.sshKeys) expect(html).toContain(key.name);
  });

  it('a foreign domain renders with unknown fields, not an error', async () => {
    const html = await page(`/machines/DEMO/${LEGACY_ID}/`);
    expect(html).toContain('legacy-appliance');
    expect(html).toContain('was not created by vmango');
    expect(html).toContain('<span class="unknown">unknown</span>');
  });

  it('images, plans, keys, the wizard and the confirmation pages render', async () => {
    expect(await page('/images/')).toContain('Debian-12_amd64_qcow2.img');
    expect(await page('/plans/')).toContain('small');
    expect(await page('/keys/')).toMatch(/SHA256:[A-Za-z0-9+/]+/);
    const wizard = await page('/machines/add/');
    expect(wizard).toContain('name="Provider" value="DEMO"');
    expect(wizard).toContain('data-image-of="DEMO"');
    expect(await page(`/machines/DEMO/${DB1_ID}/delete/`)).toContain('This cannot be undone');
    expect(await page(`/machines/DEMO/${WEB1_ID}/stop/`)).toContain('Power off');
  });

  it('error pages inside the layout: 404 for unknown paths, machines, actions; 503 for an unavailable provider', async () => {
    expect(await page('/no/such/page/', 404)).toContain('class="topbar"');
    expect(await page('/machines/DEMO/00000000000000000000000000000000/', 404)).toContain('not found');
    expect(await page('/machines/NOPE/00000000000000000000000000000000/', 404)).toMatch(/provider &#x27;NOPE&#x27; not found/);
    expect(await page(`/machines/DEMO/${WEB1_ID}/explode/`, 404)).toContain('There is no action');
    const res = await client.get(`/machines/GONE/${WEB1_ID}/`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await res.text()).toContain('Provider unavailable');
  });

  it('a refused action shows the service message as a 400 page', async () => {
    const detail = await page(`/machines/DEMO/${LEGACY_ID}/`);
    const res = await client.post(`/machines/DEMO/${LEGACY_ID}/resume/`, { csrf: csrfOf(detail) });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/cannot resume machine legacy-appliance: it is running/);
  });
});

describe('actions, delete and create through the pages', () => {
  it('stop then start change the machine state', async () => {
    const confirm = await page(`/machines/DEMO/${WEB1_ID}/stop/`);
    const stop = await client.post(`/machines/DEMO/${WEB1_ID}/stop/`, { csrf: csrfOf(confirm) });
    expect(stop.status).toBe(303);
    expect(stop.headers.get('location')).toBe(`/machines/DEMO/${WEB1_ID}/`);
    expect((await panel.service.getMachine('DEMO', WEB1_ID)).state).toBe('stopped');
    const stopped = await page(`/machines/DEMO/${WEB1_ID}/`);
    expect(stopped).toMatch(/state-stopped" data-state-badge>stopped/);
    expect(stopped).toMatch(/data-action="start">/);
    const start = await client.post(`/machines/DEMO/${WEB1_ID}/start/`, { csrf: csrfOf(stopped) });
    expect(start.status).toBe(303);
    expect((await panel.service.getMachine('DEMO', WEB1_ID)).state).toBe('running');
  });

  it('the wizard shows the service message next to the name for an invalid name, keeping the input', async () => {
    const wizard = await page('/machines/add/');
    const res = await client.post('/machines/add/', [
      ['csrf', csrfOf(wizard)],
      ['Provider', 'DEMO'],
      ['Image', 'Debian-12_amd64_qcow2.img'],
      ['Plan', 'small'],
      ['SSHKey', 'test'],
      ['Name', 'Bad Name!'],
      ['Userdata', '#cloud-config'],
    ]);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toMatch(/data-field-error="Name">machine name contains &quot;B&quot; at position 1/);
    expect(html).toContain('value="Bad Name!"');
    expect(html).toMatch(/value="test" checked/);
    expect(html).toContain('#cloud-config</textarea>');
  });

  it('the wizard lists missing fields', async () => {
    const wizard = await page('/machines/add/');
    const res = await client.post('/machines/add/', { csrf: csrfOf(wizard), Provider: 'DEMO', Name: 'ok-name' });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toMatch(/data-create-problem>[\s\S]*plan required, image required/);
    expect(html).not.toContain('data-field-error');
  });

  it('a create the test driver cannot do ends in the service message, shown in the wizard', async () => {
    const wizard = await page('/machines/add/');
    const res = await client.post('/machines/add/', [
      ['csrf', csrfOf(wizard)],
      ['Provider', 'DEMO'],
      ['Image', 'Debian-12_amd64_qcow2.img'],
      ['Plan', 'small'],
      ['Name', 'new-one'],
    ]);
    expect(res.status).toBe(501);
    const html = await res.text();
    expect(html).toContain('This provider cannot create machines this way.');
    const { machines } = await panel.service.listMachines({ provider: 'DEMO' });
    expect(machines.get('DEMO')!.machines.some((m) => m.name === 'new-one')).toBe(false);
  });

  it('delete removes the machine and lands on the list', async () => {
    const confirm = await page(`/machines/DEMO/${DB1_ID}/delete/`);
    const res = await client.post(`/machines/DEMO/${DB1_ID}/delete/`, { csrf: csrfOf(confirm) });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/machines/?deleted=db-1');
    await expect(panel.service.getMachine('DEMO', DB1_ID)).rejects.toMatchObject({ kind: 'not-found' });
    const list = await page('/machines/?deleted=db-1');
    expect(list).not.toContain('>db-1</a>');
    expect(list).toContain('Machine <strong>db-1</strong> was deleted.');
  });
});
