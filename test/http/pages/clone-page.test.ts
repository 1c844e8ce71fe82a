/**
 * The machine page's clone card on the demo hypervisor: the form is there (its button disabled
 * while the machine runs, saying why), a refusal is shown on the page, and the CSRF token is needed.
 * The test driver cannot copy a disk: clones themselves are made on the harness (test/system/).
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

const web1 = `/machines/DEMO/${WEB1_ID}/`;
const db1 = `/machines/DEMO/${DB1_ID}/`;

describe('clone on the machine page', () => {
  it('offers a clone of a stopped machine, and says a running one must be stopped first', async () => {
    const running = await (await client.get(web1)).text();
    expect(running).toContain('id="clone"');
    expect(running).toContain('stop web-1 first');
    expect(running).toMatch(/<button type="submit" class="btn" disabled>Clone<\/button>/);
    const csrf = await client.csrfFrom(db1);
    expect((await client.post(`${db1}stop/`, { csrf })).status).toBe(303);
    const stopped = await (await client.get(db1)).text();
    expect(stopped).toContain('value="db-1-clone"');
    expect(stopped).toMatch(/<button type="submit" class="btn">Clone<\/button>/);
  });

  it('shows a refusal on the page, the name escaped', async () => {
    const csrf = await client.csrfFrom(db1);
    const bad = await client.post(`${db1}clone/`, { csrf, Name: '<b>x</b>' });
    expect(bad.status).toBe(400);
    const text = await bad.text();
    expect(text).toContain('clone name: ');
    expect(text).not.toContain('<b>x</b>');
    const running = await client.post(`${web1}clone/`, { csrf: await client.csrfFrom(web1), Name: 'web-1-copy', Start: 'true' });
    expect(running.status).toBe(409);
    expect(await running.text()).toContain('machine web-1 is running; a clone is made of a shut-off machine only');
  });

  it('serves the script that marks the long forms busy, and the page loads it', async () => {
    expect(await (await client.get(db1)).text()).toMatch(/<script src="\/static\/js\/busy-forms\.js\?v=[^"]+" defer>/);
    const script = await fetch(`${panel.base}/static/js/busy-forms.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(await script.text()).toContain('data-busy-note');
  });

  it('needs the CSRF token', async () => {
    expect((await client.post(`${db1}clone/`, { Name: 'db-1-copy' })).status).toBe(403);
  });
});
