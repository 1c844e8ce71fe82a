/**
 * The machine page's snapshots card on the demo hypervisor: take one from the form, see it listed,
 * revert a running machine only with the "discard" box ticked, delete it; a refusal shows on the
 * page; a machine that cannot have snapshots says why instead of offering the form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, LEGACY_ID, PageClient, WEB1_ID, startPagesPanel } from './pages-fixture.js';

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

describe('snapshots on the machine page', () => {
  it('takes, lists, reverts (with the box ticked) and deletes a snapshot', async () => {
    let csrf = await client.csrfFrom(page);
    const taken = await client.post(`${page}snapshots/`, { csrf, Name: 'page-snap', Description: 'from <the> page' });
    expect(taken.status).toBe(303);
    expect(taken.headers.get('location')).toBe(`${page}?snapshot=created#snapshots`);
    let html = await (await client.get(`${page}?snapshot=created`)).text();
    expect(html).toContain('Snapshot taken.');
    expect(html).toContain('<tr data-snapshot="page-snap">');
    expect(html).toContain('from &lt;the&gt; page');
    expect(html).toContain('disks and memory (running)');

    csrf = await client.csrfFrom(page);
    const unticked = await client.post(`${page}snapshots/page-snap/revert/`, { csrf });
    expect(unticked.status).toBe(400);
    expect(await unticked.text()).toContain('web-1 is running: reverting it to &quot;page-snap&quot; discards what it did since');
    const reverted = await client.post(`${page}snapshots/page-snap/revert/`, { csrf, Force: 'true' });
    expect(reverted.status).toBe(303);

    const deleted = await client.post(`${page}snapshots/page-snap/delete/`, { csrf });
    expect(deleted.status).toBe(303);
    html = await (await client.get(`${page}?snapshot=deleted`)).text();
    expect(html).toContain('Snapshot deleted.');
    expect(html).not.toContain('data-snapshot="page-snap"');
    expect((await client.post(`${page}snapshots/page-snap/delete/`, { csrf })).status).toBe(404);
  });

  it('needs the CSRF token', async () => {
    expect((await client.post(`${page}snapshots/`, { Name: 'sneaky' })).status).toBe(403);
  });

  it('says why a machine cannot have snapshots', async () => {
    const html = await (await client.get(`/machines/DEMO/${LEGACY_ID}/`)).text();
    expect(html).toContain('This machine cannot have snapshots: it has no writable disk to snapshot.');
    expect(html).not.toContain('Take a snapshot');
  });
});
