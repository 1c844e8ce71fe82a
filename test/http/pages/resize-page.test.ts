/** The machine page's resize form on the demo hypervisor: it resizes, says so, and shows a refusal on the page. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, PageClient, WEB1_ID, startPagesPanel } from './pages-fixture.js';

let panel: Awaited<ReturnType<typeof startPagesPanel>>;
let client: PageClient;
beforeAll(async () => {
  panel = await startPagesPanel();
  client = new PageClient(panel.base);
  await client.login(ADMIN.user, ADMIN.password);
});
afterAll(async () => {
  await panel?.close();
});

const page = `/machines/DEMO/${WEB1_ID}/`;

describe('resize on the machine page', () => {
  it('resizes from the form and says what applies when', async () => {
    const csrf = await client.csrfFrom(page);
    const res = await client.post(`${page}resize/`, { csrf, Plan: '', Cpus: '', MemoryMegabytes: '256', DiskSizeGigabytes: '' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`${page}?resized=1#resize`);
    expect(await (await client.get(`${page}?resized=1`)).text()).toContain('Resized. CPUs and memory beyond');
  });

  it('shows a refusal on the page', async () => {
    const csrf = await client.csrfFrom(page);
    const res = await client.post(`${page}resize/`, { csrf, DiskSizeGigabytes: '1' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('disks only grow: web-1&#x27;s disk is 10240 MiB, more than 1024 MiB');
  });

  it('needs the CSRF token', async () => {
    expect((await client.post(`${page}resize/`, { MemoryMegabytes: '128' })).status).toBe(403);
  });
});
