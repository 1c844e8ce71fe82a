/** The machine page's rebuild card on the demo hypervisor: it needs the confirmation and the CSRF token, and shows a refusal. */
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

describe('rebuild on the machine page', () => {
  it('offers the image and the keys, the machine’s own ticked', async () => {
    const html = await (await client.get(page)).text();
    expect(html).toContain('id="rebuild"');
    expect(html).toMatch(/<input id="rebuild-image" name="Image" value="[^"]+"/);
    expect(html).toMatch(/name="Confirm" value="true" required/);
  });

  it('needs the confirmation, and shows a refusal on the page', async () => {
    const csrf = await client.csrfFrom(page);
    const unconfirmed = await client.post(`${page}rebuild/`, { csrf, Image: '' });
    expect(unconfirmed.status).toBe(400);
    expect(await unconfirmed.text()).toContain('tick the box to confirm: a rebuild erases the disk');
    const bad = await client.post(`${page}rebuild/`, { csrf: await client.csrfFrom(page), Confirm: 'true', Image: '<i>x</i>' });
    expect(bad.status).toBe(400);
    const text = await bad.text();
    expect(text).toContain('image &quot;&lt;i&gt;x&lt;/i&gt;&quot; not found');
  });

  it('needs the CSRF token', async () => {
    expect((await client.post(`${page}rebuild/`, { Confirm: 'true' })).status).toBe(403);
  });
});
