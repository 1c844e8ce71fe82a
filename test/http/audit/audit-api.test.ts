/**
 * GET /api/audit/: who may read it (403 naming audit-read), what a scoped reader sees (an auditor
 * of EAST never sees DEMO's entries, nor logins), the filters as query parameters (400 naming a
 * bad one), paging with Next, and the JSON's shape. The Activity page and a machine's History card
 * show the same, to the same users.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPanel } from '../../helpers/panel.js';
import { WEB1_ID } from '../api/panel-fixture.js';
import { PageClient } from '../pages/pages-fixture.js';
import { as } from '../access/access-fixture.js';
import { AUDITOR, auditTestConfig, PASSWORD, USERS } from './audit-fixture.js';

let panel: Awaited<ReturnType<typeof startTestPanel>>;
beforeAll(async () => {
  panel = await startTestPanel(auditTestConfig().config);
  // Changes on both hypervisors, and a login.
  for (const provider of ['DEMO', 'EAST', 'DEMO'])
    expect((await post(USERS.full, `/api/machines/${provider}/${WEB1_ID}/reboot/`)).status).toBe(200);
  expect((await post(USERS.viewer, `/api/machines/EAST/${WEB1_ID}/stop/`)).status).toBe(403);
  await new PageClient(panel.base).login(USERS.admin, PASSWORD);
});
afterAll(async () => {
  await panel?.close();
});

function post(user: string, path: string) {
  return fetch(panel.base + path, { method: 'POST', headers: as(user) });
}

async function audit(user: string, query = '') {
  const res = await fetch(`${panel.base}/api/audit/${query}`, { headers: as(user) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever the API sent
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

describe('GET /api/audit/', () => {
  it('gives the full log, newest first, in the API’s PascalCase with a Title', async () => {
    const { status, json } = await audit(USERS.admin);
    expect(status).toBe(200);
    expect(json.Title).toBe('Audit log');
    expect(json.Next).toBeUndefined();
    expect(json.Entries.map((e: { Action: string }) => e.Action)).toEqual([
      'login',
      'machine.power',
      'machine.power',
      'machine.power',
      'machine.power',
    ]);
    expect(json.Entries[1]).toEqual({
      Time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      Action: 'machine.power',
      Outcome: 'refused',
      User: USERS.viewer,
      Address: '127.0.0.1',
      Provider: 'EAST',
      Machine: WEB1_ID,
      DurationMs: expect.any(Number),
      Error: expect.stringContaining("'power' permission"),
      Detail: { action: 'stop' },
    });
  });

  it('is 403 naming audit-read for a user without it', async () => {
    for (const user of [USERS.operator, USERS.viewer, USERS.east]) {
      const { status, json } = await audit(user);
      expect(status).toBe(403);
      expect(json.Permission).toBe('audit-read');
      expect(json.Error).toContain("'audit-read'");
    }
  });

  it('shows a reader scoped to EAST only EAST’s entries (no DEMO machine, no login)', async () => {
    const { status, json } = await audit(AUDITOR);
    expect(status).toBe(200);
    expect(json.Entries.length).toBe(2);
    expect(json.Entries.every((e: { Provider?: string }) => e.Provider === 'EAST')).toBe(true);
    // Asking for DEMO does not widen it.
    expect((await audit(AUDITOR, '?provider=DEMO')).json.Entries).toEqual([]);
    expect((await audit(AUDITOR, '?action=login')).json.Entries).toEqual([]);
  });

  it('filters by user, machine, provider, action and time; pages with Next', async () => {
    expect((await audit(USERS.admin, `?user=${USERS.viewer}`)).json.Entries.length).toBe(1);
    expect((await audit(USERS.admin, '?provider=DEMO&action=machine.power')).json.Entries.length).toBe(2);
    expect((await audit(USERS.admin, `?machine=${WEB1_ID}`)).json.Entries.length).toBe(4);
    expect((await audit(USERS.admin, '?since=2999-01-01T00:00:00Z')).json.Entries).toEqual([]);
    expect((await audit(USERS.admin, '?until=2000-01-01')).json.Entries).toEqual([]);
    const first = await audit(USERS.admin, '?limit=2');
    expect(first.json.Entries.length).toBe(2);
    expect(typeof first.json.Next).toBe('string');
    const second = await audit(USERS.admin, `?limit=2&cursor=${encodeURIComponent(first.json.Next)}`);
    const third = await audit(USERS.admin, `?limit=2&cursor=${encodeURIComponent(second.json.Next)}`);
    expect(third.json.Next).toBeUndefined();
    const all = (await audit(USERS.admin)).json.Entries;
    expect([...first.json.Entries, ...second.json.Entries, ...third.json.Entries]).toEqual(all);
  });

  it('answers 400 naming a bad filter and what is allowed', async () => {
    const cases: [string, RegExp][] = [
      [
        '?who=ada',
        /^unknown query parameter "who"; the audit log takes user, machine, provider, action, since, until, limit, cursor$/,
      ],
      ['?action=machine.explode', /^action: 'machine\.explode' is not an audited action; one of machine\.create, /],
      ['?limit=many', /^limit: 'many' is not a whole number; give 1 to 500$/],
      ['?limit=0', /^limit: must be a whole number from 1 to 500$/],
      ['?since=last+week', /^since: 'last week' is not an ISO 8601 time/],
      ['?cursor=zzz', /^cursor: not a cursor this panel gave/],
      ['?user=a&user=b', /^query parameter "user" is given more than once; it takes one value$/],
    ];
    for (const [query, message] of cases) {
      const { status, json } = await audit(USERS.admin, query);
      expect(status, query).toBe(400);
      expect(json.Error, query).toMatch(message);
    }
  });

  it('refuses other methods as the API does (501)', async () => {
    const res = await fetch(`${panel.base}/api/audit/`, { method: 'DELETE', headers: as(USERS.admin) });
    expect(res.status).toBe(501);
  });
});

describe('the Activity page and the History card', () => {
  async function client(user: string): Promise<PageClient> {
    const page = new PageClient(panel.base);
    expect((await page.login(user, PASSWORD)).status).toBe(303);
    return page;
  }

  it('is in the navigation and readable only with audit-read', async () => {
    const admin = await client(USERS.admin);
    const home = await (await admin.get('/')).text();
    expect(home).toContain('<a href="/activity/"');
    const page = await admin.get('/activity/');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('data-audit-entries');
    expect(html).toContain('data-audit-action="machine.power" data-audit-outcome="refused"');

    const viewer = await client(USERS.viewer);
    expect(await (await viewer.get('/')).text()).not.toContain('/activity/');
    const refused = await viewer.get('/activity/');
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('audit-read');
  });

  it('filters with its form, pages with an Older link, and shows a bad filter as 400 on the page', async () => {
    const admin = await client(USERS.admin);
    const east = await (await admin.get('/activity/?provider=EAST&action=')).text();
    expect(east.match(/data-audit-action=/g)?.length).toBe(2);
    const paged = await (await admin.get('/activity/?limit=1&provider=DEMO')).text();
    expect(paged.match(/data-audit-action=/g)?.length).toBe(1);
    const older = /href="(\/activity\/\?[^"]*cursor[^"]+)" rel="next"/
      .exec(paged)?.[1]
      ?.replaceAll('&amp;', '&')
      .replaceAll('&#x3D;', '=');
    expect(older).toMatch(/^\/activity\/\?provider=DEMO&limit=1&cursor=/);
    const next = await (await admin.get(older!)).text();
    expect(next.match(/data-audit-action=/g)?.length).toBe(1);
    expect(next).not.toContain('rel="next"'); // DEMO has two entries: the second page is the last
    const bad = await admin.get('/activity/?since=soon');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('since: &#x27;soon&#x27; is not an ISO 8601 time');
  });

  it('the scoped auditor sees only EAST on the Activity page; the machine page has History with audit-read on it', async () => {
    const auditor = await client(AUDITOR);
    const html = await (await auditor.get('/activity/')).text();
    expect(html.match(/data-audit-action=/g)?.length).toBe(2);
    expect(html).not.toContain('on DEMO');
    const eastMachine = await (await auditor.get(`/machines/EAST/${WEB1_ID}/`)).text();
    expect(eastMachine).toContain('data-history');
    expect(eastMachine.match(/data-audit-action=/g)?.length).toBe(2);
    const demoMachine = await auditor.get(`/machines/DEMO/${WEB1_ID}/`);
    expect(demoMachine.status).toBe(403); // not even viewable

    const viewer = await client(USERS.viewer);
    expect(await (await viewer.get(`/machines/EAST/${WEB1_ID}/`)).text()).not.toContain('data-history');
  });
});
