/**
 * The API reference page: served by the panel under the pages' session (a login first), Swagger
 * UI's files from the panel itself (no CDN), the document it renders the same object the API
 * serves, and the panel's Content-Security-Policy unchanged (scripts from the panel only, no inline).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, PageClient, startPagesPanel } from '../pages/pages-fixture.js';
import { authHeaders } from './panel-fixture.js';

type Panel = Awaited<ReturnType<typeof startPagesPanel>>;
let panel: Panel;
beforeAll(async () => {
  panel = await startPagesPanel();
});
afterAll(async () => {
  await panel?.close();
});

describe('the API reference page', () => {
  it('needs a session: without one, the login page', async () => {
    const anonymous = new PageClient(panel.base);
    for (const path of ['/api-docs/', '/api-docs/openapi.json']) {
      const res = await anonymous.get(path);
      expect(res.status, path).toBe(302);
      expect(res.headers.get('location')).toMatch(/^\/login\//);
    }
    // API credentials are not a session: the page is the dashboard's.
    expect((await anonymous.get('/api-docs/openapi.json', authHeaders())).status).toBe(302);
  });

  it('loads for a logged-in user, linked from every page, with Swagger UI served by the panel', async () => {
    const client = new PageClient(panel.base);
    expect((await client.login(ADMIN.user, ADMIN.password)).status).toBe(303);
    expect(await (await client.get('/plans/')).text()).toContain('<a href="/api-docs/">API reference</a>');

    const page = await client.get('/api-docs/');
    expect(page.status).toBe(200);
    const html = await page.text();
    const bundle = /data-bundle="([^"]+)"/.exec(html)?.[1];
    const css = /<link rel="stylesheet" href="(\/static\/vendor\/swagger-ui@[^"]+)"/.exec(html)?.[1];
    expect(bundle).toMatch(/^\/static\/vendor\/swagger-ui@\d+\.\d+\.\d+\/swagger-ui-bundle\.js$/);
    expect(html).toMatch(/<script src="\/static\/js\/api-docs\.js\?v=[^"]+" defer><\/script>/);
    expect(html).not.toMatch(/<script>(?!<\/script>)/);
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);

    for (const asset of [bundle!, css!, '/static/js/api-docs.js']) {
      const res = await fetch(panel.base + asset);
      expect(res.status, asset).toBe(200);
      expect((await res.arrayBuffer()).byteLength, asset).toBeGreaterThan(asset.endsWith('bundle.js') ? 500_000 : 500);
    }
    expect((await fetch(`${panel.base}/static/vendor/swagger-ui@0.0.0/swagger-ui-bundle.js`)).status).toBe(404);
    expect((await fetch(`${panel.base}${bundle!.replace('swagger-ui-bundle.js', 'package.json')}`)).status).toBe(404);

    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toMatch(/default-src 'self'/);

    const doc = await client.get('/api-docs/openapi.json');
    expect(doc.status).toBe(200);
    const api = await fetch(`${panel.base}/api/openapi.json`, { headers: authHeaders() });
    expect(await doc.json()).toEqual(await api.json());
  });
});
