/**
 * The REST API over HTTP on the real harness hypervisor, part two (the others:
 * routes.harness.test.ts, routes-errors.harness.test.ts):
 * - vmango 0.6's own fixture domains (../shared/compat/fixtures, read only here and only when that
 *   directory exists) defined on the harness and read through the API as 0.6 would read them;
 * - a provider whose ssh path is frozen (the harness drops its traffic): the list still answers,
 *   with the others' machines and that provider flagged; its routes answer 503; it comes back.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, LibvirtError, type Connection } from '../../../server/libvirt/index.js';
import { attr, child, parseXmlDocument } from '../../../server/formats/xml/tree.js';
import { harnessCommand, requireHarness } from '../../helpers/harness.js';
import {
  cleanupPrefix,
  harnessTemplates,
  leftovers,
  rawConnection,
  removeNetwork,
  virsh,
} from '../../services/machines/harness-fixture.js';
import {
  apiCall,
  COMPAT_FIXTURES,
  dashed,
  harnessApiConfig,
  HAVE_COMPAT_FIXTURES,
  MiB,
  RSA_KEY,
  startHarnessApi,
  type HarnessPanel,
  type HypervisorSpec,
  type Reply,
} from './harness-panel.js';

const { env, skipReason } = requireHarness();
if (skipReason) console.warn(`skipping the API compat/unavailable-provider tests on the harness: ${skipReason}`);
const fixturesSkip = HAVE_COMPAT_FIXTURES
  ? undefined
  : `vmango 0.6's fixture domains are not there (${COMPAT_FIXTURES} is missing: the checkout has no ../shared beside it)`;
if (!skipReason && fixturesSkip) console.warn(`skipping the 0.6 fixture-domain API tests: ${fixturesSkip}`);

const PREFIX = `rtc${randomBytes(3).toString('hex')}`;
const FIX_NET = `${PREFIX}-fix`;
const PLAIN = `${PREFIX}-plain`;
const FIXTURES = [
  { file: 'domain-one.xml', name: 'one', uuid: 'fb6c4f62-2cf3-4623-9aee-23f0005eb5fb' },
  { file: 'domain-two.xml', name: 'two', uuid: 'c72cb377-301a-4f2a-a34c-547f70872b55' },
] as const;
const VM_KEYS = [
  'Id',
  'Name',
  'Plan',
  'Creator',
  'OS',
  'Arch',
  'Memory',
  'Cpus',
  'ImageId',
  'Ip',
  'HWAddr',
  'VNCAddr',
  'RootDisk',
  'SSHKeys',
  'State',
  'Managed',
  'Provider',
  'Tags',
  'Label',
  'Description',
];
const RETRY_AFTER = '5';
/** Whichever noticed first: libvirt's keepalive (the close event, or a call the binding refused once it knew), a call's deadline, the manager's probe. Never an object's toString. */
const REASON =
  /^(?!.*\[object )(connection (closed|lost): (keepalive|eof|error)$|hypervisor did not answer before the deadline$|liveness probe failed: \S|.*did not (answer|complete) within \d+ ms)/;

describe.skipIf(skipReason !== undefined)("REST API on the harness: 0.6's fixture domains, and a provider that goes away", () => {
  const harness = env!;
  let panel: HarnessPanel;
  let conn: Connection;
  let plainId = '';

  const api = (path: string, init: Parameters<typeof apiCall>[2] = {}): Promise<Reply> => apiCall(panel.base, path, init);
  const fixtureName = (name: string): string => `${PREFIX}-${name}`;
  const fixtureVolume = (name: string, suffix: '_disk' | '_config.iso'): string => `${fixtureName(name)}${suffix}`;

  beforeAll(async () => {
    conn = await rawConnection(harness);
    const t = harnessTemplates(harness);
    if (HAVE_COMPAT_FIXTURES) await defineFixtures();
    // A domain vmango did not create (no metadata, disk or NIC): listed with what is known.
    plainId = (
      await conn.defineDomain(
        `<domain type='${harness.domainType}'><name>${PLAIN}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><devices/></domain>`,
      )
    ).uuid.replaceAll('-', '');
    const network = HAVE_COMPAT_FIXTURES ? FIX_NET : harness.network;
    const base = { network, vmTemplate: t.vm, volumeTemplate: t.volume };
    const hypervisors: HypervisorSpec[] = [
      // Both on port 2202, the path this file freezes. DOWN's libvirt keepalive gives up after
      // about 3 s; SLOW keeps the default keepalive (5 s x 3), so a request's own call deadline
      // (or the manager's 4 s probe) notices first. The deadline leaves room for listing the
      // shared hypervisor's other domains (a thousand, at times) on two loaded cores.
      { name: 'DOWN', url: harness.uri2, ...base, callTimeout: '10s', keepaliveInterval: 1, keepaliveCount: 2 },
      { name: 'H', url: harness.uri, ...base },
      { name: 'SLOW', url: harness.uri2, ...base, callTimeout: '10s' },
    ];
    panel = await startHarnessApi(harnessApiConfig(harness, hypervisors));
    expect(panel.hypervisors.status('H').state).toBe('connected');
    expect(panel.hypervisors.status('DOWN').state).toBe('connected');
    expect(panel.hypervisors.status('SLOW').state).toBe('connected');
  }, 120_000);

  afterAll(async () => {
    await harnessCommand('unfreeze', '2');
    await panel?.close();
    if (conn) {
      await cleanupPrefix(conn, harness, PREFIX);
      await conn.close();
    }
    if (HAVE_COMPAT_FIXTURES) await removeNetwork(harness, FIX_NET);
  }, 120_000);

  /**
   * The fixtures, adjusted only where this shared real hypervisor needs it:
   * - the network: the fixture's own (vmango-test, 192.168.128.0/24, the reservation of `one`),
   *   named FIX_NET with a bridge of its own and no fixed UUID, so it never clashes with others';
   * - the domains: named `<PREFIX>-one`/`-two` (unique on the shared host, removed by prefix) with
   *   their fixture UUIDs; no `<emulator>` (0.6's /usr/bin/kvm-spice is Ubuntu's; libvirt then
   *   picks the host's QEMU); disk sources in the harness root pool (the fixture's pool directory
   *   /var/lib/libvirt/images/vmango-vms-test does not exist here), on volumes of the same names;
   *   the interface on FIX_NET. Everything else (type 'qemu', metadata, MACs, devices) as written.
   */
  async function defineFixtures(): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'vmango-rtc-'));
    const netXml = readFileSync(join(COMPAT_FIXTURES, 'network-vmango-test.xml'), 'utf8')
      .replace('<name>vmango-test</name>', `<name>${FIX_NET}</name><bridge name='${PREFIX}f'/>`)
      .replace(/\s*<uuid>[^<]*<\/uuid>/, '');
    writeFileSync(join(dir, 'net.xml'), netXml);
    await removeNetwork(harness, FIX_NET);
    await virsh(harness, 'net-define', join(dir, 'net.xml'));
    await virsh(harness, 'net-start', FIX_NET);

    const pool = await conn.lookupStoragePoolByName(harness.rootPool);
    for (const fixture of FIXTURES) {
      // A crashed earlier run of this file may have left a domain with the fixture's UUID.
      try {
        const stale = await conn.lookupDomainByUuid(fixture.uuid);
        if (/^rt[hc][0-9a-f]{6}-/.test(stale.name)) await stale.undefine();
      } catch (err) {
        if (!(err instanceof LibvirtError && err.code === ErrorCode.NO_DOMAIN)) throw err;
      }
      const paths: Record<string, string> = {};
      for (const suffix of ['_disk', '_config.iso'] as const) {
        const volume = await pool.createVolume(
          `<volume><name>${fixtureVolume(fixture.name, suffix)}</name><capacity unit='MiB'>${suffix === '_disk' ? 3 : 1}</capacity><target><format type='raw'/></target></volume>`,
        );
        paths[suffix] = await volume.getPath();
      }
      const xml = readFileSync(join(COMPAT_FIXTURES, fixture.file), 'utf8')
        .replace(`<name>${fixture.name}</name>`, `<name>${fixtureName(fixture.name)}</name>`)
        .replace(/\s*<emulator>[^<]*<\/emulator>/, '')
        .replace(`/var/lib/libvirt/images/vmango-vms-test/${fixture.name}_disk`, paths._disk!)
        .replace(`/var/lib/libvirt/images/vmango-vms-test/${fixture.name}_config.iso`, paths['_config.iso']!)
        .replace("<source network='vmango-test'/>", `<source network='${FIX_NET}'/>`);
      const domain = await conn.defineDomain(xml);
      expect(domain.uuid).toBe(fixture.uuid);
    }
  }

  /** VNCAddr as the API gives it: `listen:port` from the domain XML, '' while libvirt has no port (-1). */
  async function vncOf(name: string): Promise<string> {
    const xml = parseXmlDocument(await (await conn.lookupDomainByName(name)).getXmlDesc(), 'domain');
    const vnc = child(xml, 'devices')!.children.find((d) => d.localName === 'graphics' && attr(d, 'type') === 'vnc')!;
    const port = Number(attr(vnc, 'port'));
    return port >= 0 ? `${attr(vnc, 'listen')}:${port}` : '';
  }

  describe.skipIf(fixturesSkip !== undefined)("vmango 0.6's fixture domains (../shared/compat/fixtures)", () => {
    async function expected(): Promise<Record<string, Record<string, unknown>>> {
      const common = {
        Creator: 'stubuser',
        OS: 'StubOs-1.0',
        Arch: 'x86_64',
        Memory: 512 * MiB,
        Cpus: 1,
        ImageId: 'image-stub-000',
        RootDisk: { Size: 3 * MiB, Driver: 'qemu', Type: 'raw' },
        SSHKeys: [{ Name: 'test', Public: RSA_KEY }],
        State: 'stopped',
        Managed: true,
        Provider: 'H',
        Tags: [],
        Label: null,
        Description: '',
      };
      return {
        one: {
          Id: 'fb6c4f622cf346239aee23f0005eb5fb',
          Name: fixtureName('one'),
          Plan: 'medium',
          ...common,
          // The fixture network's reservation for the fixture's MAC.
          Ip: { Address: '192.168.128.130', Gateway: '', Netmask: 0, UsedBy: '' },
          HWAddr: '52:54:00:2e:54:28',
          VNCAddr: await vncOf(fixtureName('one')),
        },
        two: {
          Id: 'c72cb377301a4f2aa34c547f70872b55',
          Name: fixtureName('two'),
          Plan: 'large',
          ...common,
          // No reservation for this MAC; libvirt filled in the arch the fixture leaves out.
          Ip: null,
          HWAddr: '52:54:00:2e:54:29',
          VNCAddr: await vncOf(fixtureName('two')),
        },
      };
    }

    it('GET /api/machines/ lists them as 0.6 read them: memory, reservation, plan, image, creator, keys', async () => {
      const want = await expected();
      const res = await api(`/api/machines/?provider=H&q=${PREFIX}-`);
      expect(res.status).toBe(200);
      const listed = (res.json.Machines.H as Record<string, unknown>[]).filter((m) => m.Name !== PLAIN);
      expect(listed.map((m) => Object.keys(m))).toEqual([VM_KEYS, VM_KEYS]);
      expect(listed.sort((a, b) => String(a.Name).localeCompare(String(b.Name)))).toEqual([want.one, want.two]);
      // Their metadata is searchable as any machine's.
      const byCreator = await api('/api/machines/?provider=H&q=stubuser');
      expect(
        (byCreator.json.Machines.H as { Name: string }[])
          .map((m) => m.Name)
          .filter((n) => n.startsWith(PREFIX))
          .sort(),
      ).toEqual([fixtureName('one'), fixtureName('two')]);
      const byIp = await api('/api/machines/?provider=H&q=192.168.128.130');
      expect((byIp.json.Machines.H as { Id: string }[]).map((m) => m.Id)).toEqual([want.one!.Id]);
    });

    it("GET the detail of each, by 32-hex id and by the fixture's dashed UUID", async () => {
      const want = await expected();
      for (const fixture of FIXTURES) {
        const machine = want[fixture.name]!;
        for (const id of [machine.Id as string, fixture.uuid]) {
          const res = await api(`/api/machines/H/${id}/`);
          expect(res.status, id).toBe(200);
          expect(res.json).toEqual({
            Machine: { ...machine, Autostart: false },
            Provider: 'H',
            Title: `Machine ${machine.Name}`,
          });
        }
      }
      expect(dashed(want.one!.Id as string)).toBe(FIXTURES[0].uuid);
    });

    it('DELETE of a 0.6 machine removes its domain and both of its volumes', async () => {
      const res = await api('/api/machines/H/c72cb377301a4f2aa34c547f70872b55/', { method: 'DELETE' });
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(await leftovers(conn, harness, FIX_NET, fixtureName('two'))).toEqual([]);
      expect((await api('/api/machines/H/c72cb377301a4f2aa34c547f70872b55/')).status).toBe(404);
      // The other fixture is untouched.
      expect((await leftovers(conn, harness, FIX_NET, fixtureName('one'))).sort()).toEqual([
        `domain ${fixtureName('one')}`,
        `volume ${fixtureVolume('one', '_config.iso')}`,
        `volume ${fixtureVolume('one', '_disk')}`,
      ]);
    }, 60_000);
  });

  describe('a provider whose hypervisor stops answering (ssh path on port 2202 frozen)', () => {
    const plainJson = (provider: string) => ({
      Id: plainId,
      Name: PLAIN,
      Plan: '',
      Creator: '',
      OS: '',
      Arch: 'x86_64',
      Memory: 32 * MiB,
      Cpus: 1,
      ImageId: '',
      Ip: null,
      HWAddr: '',
      VNCAddr: '',
      RootDisk: null,
      SSHKeys: [],
      State: 'stopped',
      Managed: false,
      Provider: provider,
      Tags: [],
      Label: null,
      Description: '',
    });

    it('before: both provider blocks list and read the same domain', async () => {
      const res = await api(`/api/machines/?q=${PLAIN}`);
      expect(res.json.Machines).toEqual({ DOWN: [plainJson('DOWN')], H: [plainJson('H')], SLOW: [plainJson('SLOW')] });
      expect(res.json.Providers.DOWN).toEqual({ State: 'connected', Error: '', Since: expect.any(String) });
      expect((await api(`/api/machines/DOWN/${plainId}/`)).json.Machine).toEqual({ ...plainJson('DOWN'), Autostart: false });
    });

    it("frozen: the list answers within its deadline with the others' machines, the provider flagged; its routes answer 503", async () => {
      expect((await harnessCommand('freeze', '2')).code).toBe(0);
      try {
        const frozenAt = Date.now();
        // A request that reaches the hung hypervisor answers 503 by its call deadline, never hangs.
        const slowDetail = api(`/api/machines/SLOW/${plainId}/`);
        // Poll the list until the panel has flagged both; every answer in the meantime comes at once.
        let list: Reply | undefined;
        let slowest = 0;
        while (Date.now() - frozenAt < 45_000) {
          const res = await api(`/api/machines/?q=${PLAIN}`);
          slowest = Math.max(slowest, res.ms);
          expect(res.status).toBe(200);
          expect(res.json.Machines.H).toEqual([plainJson('H')]);
          if (res.json.Providers.DOWN.State === 'unavailable' && res.json.Providers.SLOW.State === 'unavailable') {
            list = res;
            break;
          }
          await new Promise((r) => setTimeout(r, 250));
        }
        const detail = await slowDetail;
        console.log(
          `frozen providers flagged after ${Date.now() - frozenAt} ms; slowest list answer meanwhile ${slowest.toFixed(0)} ms; ` +
            `the detail on SLOW answered ${detail.status} after ${detail.ms.toFixed(0)} ms: ${detail.text.trim()}`,
        );
        expect(list, 'DOWN and SLOW flagged unavailable in the list within 45 s').toBeDefined();
        // Their call deadline is 10 s; slack for two shared cores.
        expect(slowest).toBeLessThan(20_000);
        expect(detail.status).toBe(503);
        expect(detail.headers.get('retry-after')).toBe(RETRY_AFTER);
        expect(detail.json.Error).toMatch(/^provider 'SLOW' (did not answer|is unavailable): (?!.*\[object )\S/);
        expect(detail.ms).toBeLessThan(20_000);

        const flagged = list!.json.Providers;
        expect(Object.keys(flagged)).toEqual(['DOWN', 'H', 'SLOW']);
        expect(flagged.H).toEqual({ State: 'connected', Error: '', Since: expect.any(String) });
        // The reason in words: libvirt's keepalive gave up, or a call or probe missed its deadline
        // (a keepalive loss once read "connection closed: [object Object]").
        for (const provider of ['DOWN', 'SLOW']) {
          expect(flagged[provider], provider).toEqual({
            State: 'unavailable',
            Error: expect.stringMatching(REASON),
            Since: expect.any(String),
          });
          expect(Date.parse(flagged[provider].Since)).toBeGreaterThanOrEqual(frozenAt - 1000);
        }
        console.log(`reasons: DOWN "${flagged.DOWN.Error}", SLOW "${flagged.SLOW.Error}"`);
        // As the README's API reference has it: listed with [], flagged in Providers.
        expect(list!.json.Machines).toEqual({ DOWN: [], H: [plainJson('H')], SLOW: [] });

        // Unfiltered and filtered lists alike keep answering.
        const again = await api(`/api/machines/?provider=DOWN`);
        expect(again.status).toBe(200);
        expect(again.json.Providers.DOWN.State).toBe('unavailable');

        const images = await api('/api/images/');
        expect(images.status).toBe(200);
        expect(images.json.Images.DOWN).toEqual([]);
        expect(images.json.Images.SLOW).toEqual([]);
        expect(images.json.Images.H.length).toBeGreaterThan(0);
        expect(images.json.Providers.DOWN.State).toBe('unavailable');

        const providers = await api('/api/providers/');
        expect(providers.status).toBe(200);
        const down = providers.json.Providers.find((p: { Name: string }) => p.Name === 'DOWN');
        expect(down).toMatchObject({
          Name: 'DOWN',
          State: 'unavailable',
          Error: expect.stringMatching(/^(?!.*\[object )\S/),
          Memory: null,
          Storage: null,
        });
        expect(providers.json.Providers.find((p: { Name: string }) => p.Name === 'H').State).toBe('connected');

        // The reason is the current one: by now it may be that of a failed reconnect.
        const unavailable = /^provider 'DOWN' is unavailable: (?!.*\[object )\S/;
        const routes: [string, string, string?][] = [
          ['GET', `/api/machines/DOWN/${plainId}/`],
          ['DELETE', `/api/machines/DOWN/${plainId}/`],
          ['POST', `/api/machines/DOWN/${plainId}/start/`],
          [
            'POST',
            '/api/machines/',
            JSON.stringify({ Name: `${PREFIX}-new`, Plan: 'tiny', Image: 'Cirros-0.6_amd64_qcow2.img', Provider: 'DOWN' }),
          ],
        ];
        for (const [method, path, body] of routes) {
          const res = await api(path, { method, body, headers: body ? { 'Content-Type': 'application/json' } : {} });
          expect(res.status, `${method} ${path}: ${res.text}`).toBe(503);
          expect(res.headers.get('retry-after')).toBe(RETRY_AFTER);
          expect(Object.keys(res.json)).toEqual(['Error']);
          expect(res.json.Error).toMatch(unavailable);
          expect(res.ms).toBeLessThan(20_000);
        }
        // The same domain through the live provider, untouched by the refused requests.
        expect((await api(`/api/machines/H/${plainId}/`)).json.Machine).toEqual({ ...plainJson('H'), Autostart: false });
        expect(await leftovers(conn, harness, HAVE_COMPAT_FIXTURES ? FIX_NET : harness.network, `${PREFIX}-new`)).toEqual([]);
      } finally {
        expect((await harnessCommand('unfreeze', '2')).code).toBe(0);
      }
    }, 120_000);

    it('unfrozen: the provider is connected again and lists its machines', async () => {
      const unfrozenAt = Date.now();
      let res: Reply | undefined;
      while (Date.now() - unfrozenAt < 45_000) {
        res = await api(`/api/machines/?q=${PLAIN}`);
        if (['DOWN', 'SLOW'].every((p) => res!.json.Providers[p].State === 'connected' && res!.json.Machines[p].length > 0))
          break;
        await new Promise((r) => setTimeout(r, 500));
      }
      console.log(`provider back after ${Date.now() - unfrozenAt} ms`);
      expect(res!.json.Providers.DOWN).toEqual({ State: 'connected', Error: '', Since: expect.any(String) });
      expect(res!.json.Providers.SLOW).toEqual({ State: 'connected', Error: '', Since: expect.any(String) });
      expect(res!.json.Machines).toEqual({ DOWN: [plainJson('DOWN')], H: [plainJson('H')], SLOW: [plainJson('SLOW')] });
      expect((await api(`/api/machines/DOWN/${plainId}/`)).status).toBe(200);
    }, 60_000);
  });
});
