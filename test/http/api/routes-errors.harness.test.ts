/**
 * The REST API over HTTP on the real harness hypervisor, part three: authentication and every
 * refusal of a request (the other parts: routes.harness.test.ts, routes-compat.harness.test.ts).
 * Each answer is checked for status, JSON and message as the README's API reference and the
 * test-driver route tests (routes.test.ts, routes-auth.test.ts) have them, and the hypervisor is
 * checked to be untouched. No machine is created here, so the harness's own network is used.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../../server/libvirt/index.js';
import { requireHarness } from '../../helpers/harness.js';
import { cleanupPrefix, harnessTemplates, leftovers, rawConnection } from '../../services/machines/harness-fixture.js';
import {
  ADMIN,
  ALICE,
  apiCall,
  FORM,
  harnessApiConfig,
  LOCKED,
  startHarnessApi,
  type HarnessPanel,
  type Reply,
} from './harness-panel.js';

const { env, skipReason } = requireHarness();
if (skipReason) console.warn(`skipping the API authentication and error tests on the harness: ${skipReason}`);

// Names must be hostname labels: lower-case hex.
const PREFIX = `rte${randomBytes(3).toString('hex')}`;
const CIRROS = 'Cirros-0.6_amd64_qcow2.img';
const HOSTNAME_RULE = 'it must be a hostname label: 1 to 63 characters of a-z, 0-9 and "-", not starting or ending with "-"';
const JSON_TYPE = 'application/json; charset=UTF-8';

describe.skipIf(skipReason !== undefined)('REST API authentication and errors on the harness hypervisor (qemu+ssh)', () => {
  const harness = env!;
  let panel: HarnessPanel;
  let conn: Connection;

  beforeAll(async () => {
    const t = harnessTemplates(harness);
    conn = await rawConnection(harness);
    panel = await startHarnessApi(
      harnessApiConfig(harness, [
        { name: 'H', url: harness.uri, network: harness.network, vmTemplate: t.vm, volumeTemplate: t.volume },
      ]),
    );
    expect(panel.hypervisors.status('H').state).toBe('connected');
  }, 120_000);

  afterAll(async () => {
    await panel?.close();
    if (conn) {
      // Nothing should be there; removed all the same should a test have failed half-way.
      await cleanupPrefix(conn, harness, PREFIX);
      await conn.close();
    }
  }, 120_000);

  const api = (path: string, init: Parameters<typeof apiCall>[2] = {}): Promise<Reply> => apiCall(panel.base, path, init);
  const create = (body: string, type = FORM, who = ADMIN): Promise<Reply> =>
    api('/api/machines/', { method: 'POST', headers: { 'Content-Type': type }, body, who });
  const form = (fields: [string, string][]): string => new URLSearchParams(fields).toString();

  async function nothingOf(...names: string[]): Promise<void> {
    for (const name of names) expect(await leftovers(conn, harness, harness.network, name), name).toEqual([]);
  }

  describe('authentication', () => {
    it('answers 401 {"Error": "Authentication failed"}, never a redirect, and does nothing', async () => {
      const name = `${PREFIX}-noauth`;
      const createBody = form([
        ['Name', name],
        ['Plan', 'tiny'],
        ['Image', CIRROS],
        ['Provider', 'H'],
      ]);
      const routes: [string, string, string?][] = [
        ['GET', '/api/machines/'],
        ['POST', '/api/machines/', createBody],
        ['GET', '/api/images/'],
        ['GET', '/api/providers/'],
        ['DELETE', `/api/machines/H/${'0'.repeat(32)}/`],
        ['POST', `/api/machines/H/${'0'.repeat(32)}/stop/`],
      ];
      // Failures come "from" a documentation address (X-Real-IP, trusted from 127.0.0.1), so the
      // failure limit never locks out the address the other tests use.
      const proxy = { 'X-Real-IP': '198.51.100.7' };
      const cases: { headers: Record<string, string>; who: typeof ADMIN | null }[] = [
        { headers: {}, who: null },
        { headers: { 'X-Vmango-User': 'admin' }, who: null },
        { headers: proxy, who: { user: 'nobody', password: 'x' } },
      ];
      for (const [method, path, body] of routes) {
        for (const { headers, who } of cases) {
          const res = await api(path, { method, body, who, headers: { ...headers, ...(body ? { 'Content-Type': FORM } : {}) } });
          expect(res.status, `${method} ${path}`).toBe(401);
          expect(res.headers.get('content-type')).toBe(JSON_TYPE);
          expect(res.headers.get('location')).toBeNull();
          expect(res.json).toEqual({ Error: 'Authentication failed' });
        }
      }
      // A wrong password of a real user, twice (the user's own failure count stays far from the limit).
      for (const [method, path, body] of routes.slice(0, 2)) {
        const res = await api(path, {
          method,
          body,
          who: { user: ALICE.user, password: 'wrong' },
          headers: { ...proxy, 'Content-Type': FORM },
        });
        expect(res.status).toBe(401);
        expect(res.json).toEqual({ Error: 'Authentication failed' });
      }
      await nothingOf(name);
    }, 60_000);

    it('answers 429 with Retry-After after 10 failures for a user from an address, even to the right password', async () => {
      const attacker = { 'X-Real-IP': '203.0.113.9' };
      for (let i = 0; i < 10; i++) {
        const res = await api('/api/plans/', {
          who: { user: LOCKED.user, password: `guess-${i}` },
          headers: attacker,
        });
        expect(res.status).toBe(401);
      }
      const locked = await api('/api/plans/', { who: LOCKED, headers: attacker });
      expect(locked.status).toBe(429);
      expect(locked.headers.get('content-type')).toBe(JSON_TYPE);
      const retryAfter = Number(locked.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(300);
      expect(locked.json.Error).toMatch(/^too many failed logins; try again in \d+ seconds$/);
      // Other users from that address, and the user from another address, are not affected.
      expect((await api('/api/plans/', { headers: attacker })).status).toBe(200);
      expect((await api('/api/plans/', { who: LOCKED })).status).toBe(200);
    }, 60_000);
  });

  describe('errors, each answered before anything is touched', () => {
    const valid = (name: string, extra: [string, string][] = []): [string, string][] => [
      ['Name', name],
      ['Plan', 'tiny'],
      ['Image', CIRROS],
      ['Provider', 'H'],
      ...extra,
    ];

    it('an unknown provider: 404 with a plain message on every route', async () => {
      const message = { Error: "provider 'NOPE' not found" };
      const id = '0123456789abcdef0123456789abcdef';
      expect(await api(`/api/machines/NOPE/${id}/`)).toMatchObject({ status: 404, json: message });
      expect(await api(`/api/machines/NOPE/${id}/`, { method: 'DELETE' })).toMatchObject({ status: 404, json: message });
      expect(await api(`/api/machines/NOPE/${id}/stop/`, { method: 'POST' })).toMatchObject({ status: 404, json: message });
      const created = await create(
        form([
          ['Name', `${PREFIX}-np`],
          ['Plan', 'tiny'],
          ['Image', CIRROS],
          ['Provider', 'NOPE'],
        ]),
      );
      expect(created).toMatchObject({ status: 404, json: message });
      await nothingOf(`${PREFIX}-np`);
    });

    it('an unknown or malformed machine id: 404 with a plain message (0.6 gave 500 Invalid UUID)', async () => {
      for (const id of [
        '0123456789abcdef0123456789abcdef',
        '01234567-89ab-cdef-0123-456789abcdef',
        'nonexist',
        'zz'.repeat(16),
      ]) {
        const hint = /^[0-9a-f]{32}$|-/.test(id) ? '' : ' (a machine id is 32 hex digits, or a UUID with dashes)';
        const message = { Error: `Machine with id ${id} not found on provider H${hint}` };
        expect(await api(`/api/machines/H/${id}/`), id).toMatchObject({ status: 404, json: message });
        expect(await api(`/api/machines/H/${id}/`, { method: 'DELETE' }), id).toMatchObject({ status: 404, json: message });
        expect(await api(`/api/machines/H/${id}/reboot/`, { method: 'POST' }), id).toMatchObject({ status: 404, json: message });
      }
    });

    it('an unknown plan, image or SSH key: 400 naming it', async () => {
      const name = `${PREFIX}-bad`;
      const cases: [[string, string][], string][] = [
        [
          [
            ['Name', name],
            ['Plan', 'huge'],
            ['Image', CIRROS],
            ['Provider', 'H'],
          ],
          'plan "huge" not found',
        ],
        [
          [
            ['Name', name],
            ['Plan', 'tiny'],
            ['Image', 'Nope-1_amd64_raw.img'],
            ['Provider', 'H'],
          ],
          'image "Nope-1_amd64_raw.img" not found on provider "H"',
        ],
        // A file in the image pool that is not an image by 0.6's naming rule.
        [
          [
            ['Name', name],
            ['Plan', 'tiny'],
            ['Image', 'not-an-image.txt'],
            ['Provider', 'H'],
          ],
          'image "not-an-image.txt" not found on provider "H"',
        ],
        [
          valid(name, [
            ['SSHKey', 'test'],
            ['SSHKey', 'ghost'],
          ]),
          "ssh key 'ghost' doesn't exist",
        ],
      ];
      for (const [fields, error] of cases) {
        const res = await create(form(fields));
        expect(res.status, error).toBe(400);
        expect(res.json).toEqual({ Error: error });
      }
      const json = await create(
        JSON.stringify({ Name: name, Plan: 'tiny', Image: CIRROS, Provider: 'H', SSHKeys: ['nobody'] }),
        'application/json',
      );
      expect(json).toMatchObject({ status: 400, json: { Error: "ssh key 'nobody' doesn't exist" } });
      const missing = await create('Userdata=x');
      expect(missing).toMatchObject({
        status: 400,
        json: { Error: 'name required, plan required, image required, provider required' },
      });
      await nothingOf(name);
    }, 60_000);

    it('a name that is not a hostname label: 400 saying what is allowed; XML specials never reach the XML', async () => {
      const long = `${PREFIX}-${'x'.repeat(63 - PREFIX.length)}`;
      expect(long.length).toBe(64);
      const cases: [string, string][] = [
        ['-a', `machine name "-a" starts with "-"; ${HOSTNAME_RULE}`],
        ['a-', `machine name "a-" ends with "-"; ${HOSTNAME_RULE}`],
        [long, `machine name is 64 characters long; ${HOSTNAME_RULE}`],
        ['UPPER', `machine name contains "U" at position 1 (upper-case letters are not allowed); ${HOSTNAME_RULE}`],
        ['a_b', `machine name contains "_" at position 2; ${HOSTNAME_RULE}`],
        ['a.b', `machine name contains "." at position 2; ${HOSTNAME_RULE}`],
        [`${PREFIX}<x/>`, `machine name contains "<" at position ${PREFIX.length + 1}; ${HOSTNAME_RULE}`],
        [`${PREFIX}'&"`, `machine name contains "'" at position ${PREFIX.length + 1}; ${HOSTNAME_RULE}`],
        ['a]]>b', `machine name contains "]" at position 2; ${HOSTNAME_RULE}`],
      ];
      for (const [name, error] of cases) {
        const res = await create(form(valid(name)));
        expect(res.status, name).toBe(400);
        expect(res.json, name).toEqual({ Error: error });
        const asJson = await create(
          JSON.stringify({ Name: name, Plan: 'tiny', Image: CIRROS, Provider: 'H' }),
          'application/json',
        );
        expect(asJson.json, name).toEqual({ Error: error });
      }
      // An empty name is a missing one, as 0.6's form decoding had it.
      expect(await create(form(valid('')))).toMatchObject({ status: 400, json: { Error: 'name required' } });
      const domains = new Set((await conn.listAllDomains({ withXml: false })).map((d) => d.name));
      expect(cases.map(([name]) => name).filter((name) => domains.has(name))).toEqual([]);
      await nothingOf(long);
    }, 60_000);

    it('userdata over 64 KiB: 400 with the limit, nothing created', async () => {
      const name = `${PREFIX}-big`;
      const res = await create(form(valid(name, [['Userdata', 'x'.repeat(64 * 1024 + 1)]])));
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ Error: `userdata is ${64 * 1024 + 1} bytes; at most ${64 * 1024} bytes (64 KiB) are allowed` });
      await nothingOf(name);
    }, 60_000);

    it('other methods: 501 Not implemented; other paths (no trailing slash included): 404 Not found', async () => {
      for (const [method, path] of [
        ['PUT', '/api/machines/'],
        ['DELETE', '/api/machines/'],
        ['POST', '/api/images/'],
        ['POST', '/api/providers/'],
        ['DELETE', '/api/plans/'],
        ['PUT', '/api/keys/'],
      ]) {
        const res = await api(path!, { method });
        expect(res.status, `${method} ${path}`).toBe(501);
        expect(res.json).toEqual({ Error: 'Not implemented' });
      }
      for (const path of [
        '/api/machines',
        '/api/machines/H/0123456789abcdef0123456789abcdef',
        '/api/images',
        '/api/nothing/',
        '/api/machines/H/',
      ]) {
        const res = await api(path);
        expect(res.status, path).toBe(404);
        expect(res.headers.get('content-type')).toBe(JSON_TYPE);
        expect(res.json).toEqual({ Error: 'Not found' });
      }
    });
  });
});
