/**
 * The machine page's properties card and form on the demo hypervisor: saving shows the tags (each
 * a link to the list filtered by it), the label and the description; a refused value is shown on
 * the page with the form open and what was there kept; the form needs the CSRF token; the list's
 * tag filter shows only the tagged machines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, DB1_ID, PageClient, WEB1_ID, startPagesPanel } from './pages-fixture.js';

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

describe('machine properties on the pages', () => {
  it('saves from the form and shows them, with tags linking to the filtered list', async () => {
    const csrf = await client.csrfFrom(page);
    const saved = await client.post(`${page}properties/`, [
      ['csrf', csrf],
      ['Tags', 'web, berlin'],
      ['LabelName', 'prod <1>'],
      ['LabelColour', '#aa3300'],
      ['Description', 'line one\nline <two>'],
      ['Autostart', 'false'],
      ['Autostart', 'true'],
    ]);
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe(`${page}?saved=1`);
    const html = await (await client.get(`${page}?saved=1`)).text();
    expect(html).toContain('Properties saved.');
    expect(html).toContain('<a class="tag" href="/machines/?tag=berlin">berlin</a>');
    expect(html).toContain('<span class="label-chip" style="--label-colour: #aa3300">prod &lt;1&gt;</span>');
    expect(html).toContain('line one\nline &lt;two&gt;');
    expect(html).toContain('on: started with the hypervisor');

    const list = await (await client.get('/machines/?tag=berlin')).text();
    expect(list).toContain(`data-machine="DEMO/${WEB1_ID}"`);
    expect(list).not.toContain(`data-machine="DEMO/${DB1_ID}"`);
    expect(list).toContain('<input type="hidden" name="tag" value="berlin">');
  });

  it('shows a refused value on the page, the form open, and changes nothing', async () => {
    const csrf = await client.csrfFrom(page);
    const refused = await client.post(`${page}properties/`, [
      ['csrf', csrf],
      ['Tags', 'ok <script>'],
    ]);
    expect(refused.status).toBe(400);
    const html = await refused.text();
    expect(html).toContain('<details class="edit-properties" open>');
    expect(html).toMatch(/Tags: &quot;&lt;script&gt;&quot; is not a tag; a tag is 1–64 letters/);
    expect(html).not.toContain('<script>');
    expect(html).toContain('<a class="tag" href="/machines/?tag=web">web</a>');
  });

  it('refuses the form without its CSRF token', async () => {
    const res = await client.post(`${page}properties/`, [['Tags', 'sneaky']]);
    expect(res.status).toBe(403);
    expect(await (await client.get(page)).text()).not.toContain('sneaky');
  });
});
