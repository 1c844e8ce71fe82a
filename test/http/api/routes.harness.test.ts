/**
 * The REST API over HTTP on the real harness hypervisor (libvirtd + QEMU over qemu+ssh): the
 * panel's real config, connection manager, machine service and router in-process, every answer
 * checked for status, JSON and message as the README's API reference and the test-driver route
 * tests (routes.test.ts, routes-auth.test.ts) have them, and every effect checked in libvirt
 * itself. The service tests (test/services/*.harness.test.ts) prove create/rollback/delete in
 * depth; this file is about the HTTP layer on a hypervisor that really creates machines.
 * Authentication and refused requests: routes-errors.harness.test.ts; vmango 0.6's fixture
 * domains and an unavailable provider: routes-compat.harness.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainXmlFlags, type Connection } from '../../../server/libvirt/index.js';
import { goTrimSpace } from '../../../server/services/machines/metadata.js';
import { attr, child, path as xmlPath, parseXmlDocument } from '../../../server/formats/xml/tree.js';
import { requireHarness } from '../../helpers/harness.js';
import {
  cleanupPrefix,
  defineNetwork,
  downloadVolume,
  harnessTemplates,
  leftovers,
  rawConnection,
  readIso,
  removeNetwork,
} from '../../services/machines/harness-fixture.js';
import {
  ADMIN,
  ALICE,
  apiCall,
  dashed,
  dhcpHosts,
  elementPaths,
  FORM,
  GiB,
  harnessApiConfig,
  KEYS,
  MiB,
  PLANS,
  RSA_KEY,
  sshKeygenFingerprint,
  startHarnessApi,
  TEST_KEY,
  type HarnessPanel,
  type Reply,
} from './harness-panel.js';

const { env, skipReason } = requireHarness();
if (skipReason) console.warn(`skipping the API route tests on the harness: ${skipReason}`);

// Names must be hostname labels: lower-case hex.
const PREFIX = `rth${randomBytes(3).toString('hex')}`;
const NET = `${PREFIX}-net`;
const SUBNET = 202 * 256 + (process.pid % 200);
const CIRROS = 'Cirros-0.6_amd64_qcow2.img';
const DEBIAN_RAW = 'Debian-12_amd64_raw.img';
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
  'Autostart',
];
/** Userdata that would break out of 0.6's CDATA section and inject elements if it were not escaped. */
const NASTY_USERDATA = '  #cloud-config\n# ]]><evil attr="x"/><![CDATA[ & &amp; </vmango:userdata></metadata>\nruncmd: []\n  ';
const JSON_TYPE = 'application/json; charset=UTF-8';

describe.skipIf(skipReason !== undefined)('REST API routes on the harness hypervisor (qemu+ssh)', () => {
  const harness = env!;
  let panel: HarnessPanel;
  let conn: Connection;
  let vmTemplate: string;

  beforeAll(async () => {
    const t = harnessTemplates(harness);
    vmTemplate = t.vm;
    await defineNetwork(harness, t.dir, NET, `${PREFIX}b`, SUBNET, [10, 60]);
    conn = await rawConnection(harness);
    const base = { url: harness.uri, network: NET, vmTemplate: t.vm, volumeTemplate: t.volume };
    panel = await startHarnessApi(
      harnessApiConfig(harness, [
        { name: 'H', ...base },
        { name: 'HNC', ...base, configDriveFormat: 'nocloud' },
      ]),
    );
    expect(panel.hypervisors.status('H').state).toBe('connected');
  }, 120_000);

  afterAll(async () => {
    await panel?.close();
    if (conn) {
      await cleanupPrefix(conn, harness, PREFIX);
      await conn.close();
    }
    await removeNetwork(harness, NET);
  }, 120_000);

  const api = (path: string, init: Parameters<typeof apiCall>[2] = {}): Promise<Reply> => apiCall(panel.base, path, init);
  const create = (body: string, type = FORM, who = ADMIN): Promise<Reply> =>
    api('/api/machines/', { method: 'POST', headers: { 'Content-Type': type }, body, who });
  const form = (fields: [string, string][]): string => new URLSearchParams(fields).toString();

  /**
   * The machine list of `provider` for `q`, once `check` holds (within 20 s). A provider block
   * learns of changes made through another block on the same host from libvirt's domain events,
   * which arrive a little later.
   */
  async function listedOnce(
    provider: string,
    q: string,
    check: (machines: Record<string, unknown>[]) => boolean,
  ): Promise<Record<string, unknown>[]> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const machines = (await api(`/api/machines/?provider=${provider}&q=${q}`)).json.Machines[provider] as Record<
        string,
        unknown
      >[];
      if (check(machines) || Date.now() > deadline) return machines;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async function nothingOf(...names: string[]): Promise<void> {
    for (const name of names) expect(await leftovers(conn, harness, NET, name), name).toEqual([]);
  }

  describe('the lists', () => {
    it("GET /api/images/: the harness image pool in 0.6's shape (Size = allocation, Type, Date = mtime), stray files skipped", async () => {
      const res = await api('/api/images/');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(JSON_TYPE);
      expect(Object.keys(res.json)).toEqual(['Images', 'Providers', 'Title']);
      expect(res.json.Title).toBe('Images');
      expect(Object.keys(res.json.Images)).toEqual(['H', 'HNC']);
      expect(res.json.Providers.H).toMatchObject({ State: 'connected', Error: '' });
      expect(Number.isNaN(Date.parse(res.json.Providers.H.Since))).toBe(false);
      const listed = res.json.Images.H as Record<string, unknown>[];
      expect(listed.map((i) => i.Id)).not.toContain('not-an-image.txt');
      const volumes = await (await conn.lookupStoragePoolByName(harness.imagePool)).listAllVolumes();
      for (const [id, os, type] of [
        [CIRROS, 'Cirros-0.6', 2],
        ['Ubuntu-22.04_amd64_qcow2.img', 'Ubuntu-22.04', 2],
        [DEBIAN_RAW, 'Debian-12', 1],
      ] as const) {
        const image = listed.find((i) => i.Id === id)!;
        expect(image, id).toBeDefined();
        expect(Object.keys(image)).toEqual(['Id', 'OS', 'Arch', 'Size', 'Type', 'Date', 'PoolName']);
        const volume = volumes.find((v) => v.name === id)!;
        expect(image).toMatchObject({ OS: os, Arch: 'x86_64', Size: volume.allocation, Type: type, PoolName: harness.imagePool });
        // Go's RFC3339Nano of the volume's mtime: nanoseconds without trailing zeros.
        const [sec, nsec = '0'] = /<mtime>([^<]+)<\/mtime>/.exec(volume.xml)![1]!.split('.');
        const fraction = nsec.padEnd(9, '0').replace(/0+$/, '');
        expect(image.Date).toMatch(
          new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d${fraction ? `\\.${fraction}` : ''}(Z|[+-]\\d\\d:\\d\\d)$`),
        );
        expect(Math.floor(Date.parse(image.Date as string) / 1000)).toBe(Number(sec));
      }
      expect(res.json.Images.HNC.map((i: { Id: string }) => i.Id).sort()).toEqual(listed.map((i) => i.Id).sort());
    });

    it("GET /api/providers/: each provider with the real host's facts, the URI without its key file", async () => {
      const res = await api('/api/providers/');
      expect(res.status).toBe(200);
      expect(Object.keys(res.json)).toEqual(['Providers', 'Title']);
      expect(res.json.Title).toBe('Providers');
      expect(res.json.Providers.map((p: { Name: string }) => p.Name)).toEqual(['H', 'HNC']);
      const h = res.json.Providers[0];
      expect(Object.keys(h)).toEqual([
        'Name',
        'Type',
        'Description',
        'Connection',
        'State',
        'Error',
        'Since',
        'Hostname',
        'LibvirtVersion',
        'HypervisorVersion',
        'MachineCount',
        'Memory',
        'Storage',
      ]);
      const hostname = await conn.getHostname();
      expect(h).toMatchObject({
        Name: 'H',
        Type: 'libvirt',
        State: 'connected',
        Error: '',
        Hostname: hostname,
        Description: `KVM hypervisor ${hostname}`,
      });
      expect(h.Connection).toMatch(/^qemu\+ssh:\/\/root@127\.0\.0\.1:2201\/system/);
      expect(h.Connection).not.toMatch(/keyfile|id_ed25519/);
      expect(h.LibvirtVersion).toBe((await conn.getVersion()).libVersion);
      expect(h.HypervisorVersion).toMatch(/\d+\.\d+/);
      expect(h.MachineCount).toBeGreaterThanOrEqual(0);
      const pool = await (await conn.lookupStoragePoolByName(harness.rootPool)).getInfo();
      expect(h.Storage.Total).toBe(pool.capacity);
      for (const usage of [h.Memory, h.Storage]) {
        expect(Object.keys(usage)).toEqual(['Total', 'Used', 'Usage']);
        expect(usage.Total).toBeGreaterThan(0);
        expect(usage.Used).toBeLessThanOrEqual(usage.Total);
        expect(usage.Usage).toBe(Math.floor((usage.Used / usage.Total) * 100));
      }
    });

    it("GET /api/plans/ and /api/keys/: the config's, with bytes and ssh-keygen's fingerprints", async () => {
      expect((await api('/api/plans/')).json).toEqual({
        Plans: PLANS.map((p) => ({
          Name: p.name,
          Memory: p.memoryMiB * MiB,
          Cpus: p.cpus,
          DiskSize: p.diskGiB * GiB,
          MemoryMegabytes: p.memoryMiB,
          DiskSizeGigabytes: p.diskGiB,
        })),
        Title: 'Plans',
      });
      expect((await api('/api/keys/')).json).toEqual({
        // By name, as the config's blocks are ordered.
        SSHKeys: await Promise.all(
          [...KEYS]
            .sort((a, b) => a.name.localeCompare(b.name))
            .map(async (k) => ({ Name: k.name, Public: k.public, Fingerprint: await sshKeygenFingerprint(k.public) })),
        ),
        Title: 'SSH keys',
      });
    });

    it('answers HEAD like GET without a body', async () => {
      for (const path of ['/api/machines/', '/api/images/', '/api/providers/', '/api/plans/', '/api/keys/']) {
        const res = await api(path, { method: 'HEAD' });
        expect(res.status, path).toBe(200);
        expect(res.headers.get('content-type')).toBe(JSON_TYPE);
        expect(res.text).toBe('');
      }
    });
  });

  describe('a machine created, read, acted on and deleted over HTTP', () => {
    const name = `${PREFIX}-form`;
    let id = '';
    let detail: Record<string, unknown> & { Ip: { Address: string } | null } = { Ip: null };

    async function libvirtState(): Promise<string> {
      return (await (await conn.lookupDomainByName(name)).getState()).state;
    }

    it("POST /api/machines/ with 0.6's form (SSHKey repeated) → 201 and Location", async () => {
      const res = await create(
        form([
          ['Name', name],
          ['Plan', 'tiny'],
          ['Image', CIRROS],
          ['SSHKey', 'test'],
          ['SSHKey', 'rsa'],
          ['Provider', 'H'],
          ['Userdata', NASTY_USERDATA],
          ['CSRF', 'ignored'],
        ]),
      );
      expect(res.status, res.text).toBe(201);
      expect(res.headers.get('content-type')).toBe(JSON_TYPE);
      id = (await conn.lookupDomainByName(name)).uuid.replaceAll('-', '');
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(res.headers.get('location')).toBe(`/api/machines/H/${id}/`);
      expect(res.json).toEqual({ Message: `Machine ${name} (${id}) created` });
      expect(await libvirtState()).toBe('running');
    }, 120_000);

    it("GET the detail by 32-hex id and by dashed UUID: 0.6's VM from libvirt, the reservation and the metadata", async () => {
      expect(id).not.toBe('');
      const res = await api(`/api/machines/H/${id}/`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(JSON_TYPE);
      expect(Object.keys(res.json)).toEqual(['Machine', 'Provider', 'Title']);
      expect(Object.keys(res.json.Machine)).toEqual(VM_KEYS);

      const xml = await (await conn.lookupDomainByName(name)).getXmlDesc();
      const devices = xmlPath(parseXmlDocument(xml, 'domain'), 'devices')!;
      const mac = attr(child(child(devices, 'interface'), 'mac'), 'address')!;
      const vncPort = attr(
        devices.children.find((d) => d.localName === 'graphics' && attr(d, 'type') === 'vnc'),
        'port',
      );
      const reservation = dhcpHosts(await (await conn.lookupNetworkByName(NET)).getXmlDesc()).get(mac);
      expect(reservation).toEqual({ name, ip: expect.stringMatching(new RegExp(`^10\\.${SUBNET >> 8}\\.${SUBNET & 255}\\.`)) });
      expect(res.json).toEqual({
        Machine: {
          Id: id,
          Name: name,
          Plan: 'tiny',
          Creator: 'admin',
          OS: 'Cirros-0.6',
          Arch: 'x86_64',
          Memory: 64 * MiB,
          Cpus: 1,
          ImageId: CIRROS,
          Ip: { Address: reservation!.ip, Gateway: '', Netmask: 0, UsedBy: '' },
          HWAddr: mac,
          VNCAddr: `127.0.0.1:${vncPort}`,
          RootDisk: { Size: 1 * GiB, Driver: 'qemu', Type: 'qcow2' },
          SSHKeys: [
            { Name: 'test', Public: TEST_KEY },
            { Name: 'rsa', Public: RSA_KEY },
          ],
          State: 'running',
          Managed: true,
          Provider: 'H',
          Tags: [],
          Label: null,
          Description: '',
          Autostart: false,
        },
        Provider: 'H',
        Title: `Machine ${name}`,
      });
      expect(Number(vncPort)).toBeGreaterThanOrEqual(5900);
      // Lists carry everything but Autostart (read for one machine at a time).
      const { Autostart: _autostart, ...listed } = res.json.Machine as Record<string, unknown>;
      detail = listed as typeof detail;
      for (const other of [dashed(id), id.toUpperCase()]) {
        const again = await api(`/api/machines/H/${other}/`);
        expect(again.status, other).toBe(200);
        expect(again.text).toBe(res.text);
      }
      // The same domain through the other provider block on the same host.
      expect((await api(`/api/machines/HNC/${id}/`)).json.Machine).toEqual({ ...detail, Provider: 'HNC', Autostart: false });
    }, 60_000);

    it('GET /api/machines/ lists it as the detail has it, filtered by provider, state and q', async () => {
      // HNC sees the machine created through H once libvirt's events have told it.
      expect(await listedOnce('HNC', name, (m) => m.length > 0)).toEqual([{ ...detail, Provider: 'HNC' }]);
      const all = await api(`/api/machines/?q=${name}`);
      expect(all.status).toBe(200);
      expect(Object.keys(all.json)).toEqual(['Machines', 'Providers', 'Title']);
      expect(all.json.Title).toBe('Machines');
      expect(Object.keys(all.json.Machines)).toEqual(['H', 'HNC']);
      expect(all.json.Machines.H).toEqual([detail]);
      expect(all.json.Machines.HNC).toEqual([{ ...detail, Provider: 'HNC' }]);
      expect(Object.keys(all.json.Providers)).toEqual(['H', 'HNC']);
      expect(all.json.Providers.H).toEqual({ State: 'connected', Error: '', Since: expect.any(String) });

      const byProvider = await api(`/api/machines/?provider=H&q=${name}`);
      expect(Object.keys(byProvider.json.Machines)).toEqual(['H']);
      expect(Object.keys(byProvider.json.Providers)).toEqual(['H']);
      const ids = (r: Reply): string[] => (r.json.Machines.H as { Id: string }[]).map((m) => m.Id);
      expect(ids(await api(`/api/machines/?provider=H&state=running&q=${name}`))).toEqual([id]);
      expect(ids(await api(`/api/machines/?provider=H&state=stopped&q=${name}`))).toEqual([]);
      expect(ids(await api(`/api/machines/?provider=H&q=${detail.Ip!.Address}`))).toContain(id);
      // q matches part of the name, case-insensitively.
      expect(ids(await api(`/api/machines/?provider=H&q=${name.slice(2).toUpperCase()}`))).toEqual([id]);

      const badState = await api('/api/machines/?state=asleep');
      expect(badState.status).toBe(400);
      expect(badState.json).toEqual({
        Error: 'state "asleep" is not a machine state; use one of running, stopped, paused, unknown',
      });
      const badProvider = await api('/api/machines/?provider=NOPE');
      expect(badProvider.status).toBe(400);
      expect(badProvider.json).toEqual({ Error: "provider 'NOPE' not found; the providers are H, HNC" });
    }, 60_000);

    it("keeps the metadata: the domain XML has the template's structure and 0.6's metadata elements, userdata with ]]> as text", async () => {
      const xml = await (await conn.lookupDomainByName(name)).getXmlDesc({ flags: DomainXmlFlags.INACTIVE });
      const paths = elementPaths(xml);
      // Every element of the template is there, as libvirt stored it (libvirt adds its own: uuid, mac, addresses, …).
      for (const p of elementPaths(readFileSync(vmTemplate, 'utf8'))) expect(paths, p).toContain(p);
      // 0.6's element, untouched, and beside it our own namespace with the owner recorded at create.
      expect([...paths].filter((p) => p.startsWith('/domain/metadata/')).sort()).toEqual([
        '/domain/metadata/machine',
        '/domain/metadata/machine/owner',
        '/domain/metadata/md',
        '/domain/metadata/md/creator',
        '/domain/metadata/md/imageId',
        '/domain/metadata/md/os',
        '/domain/metadata/md/plan',
        '/domain/metadata/md/sshkeys',
        '/domain/metadata/md/sshkeys/key',
        '/domain/metadata/md/userdata',
      ]);
      expect([...paths].filter((p) => /evil/.test(p))).toEqual([]);
      const md = xmlPath(parseXmlDocument(xml, 'domain'), 'metadata', 'md')!;
      expect(md.name).toBe('vmango:md');
      expect(md.attributes['xmlns:vmango']).toBe('http://vmango.org/schema/md');
      expect(md.children.map((c) => c.localName)).toEqual(['imageId', 'os', 'creator', 'plan', 'sshkeys', 'userdata']);
      const ours = xmlPath(parseXmlDocument(xml, 'domain'), 'metadata', 'machine')!;
      expect(ours.name).toBe('vmangots:machine');
      expect(ours.attributes['xmlns:vmangots']).toBe('urn:vmango-ts:machine:1');
      expect(goTrimSpace(child(ours, 'owner')!.text)).toBe(goTrimSpace(child(md, 'creator')!.text));
      expect(goTrimSpace(child(md, 'userdata')!.text)).toBe(goTrimSpace(NASTY_USERDATA));
      expect(child(md, 'sshkeys')!.children.map((k) => [attr(k, 'name'), k.text])).toEqual([
        ['test', TEST_KEY],
        ['rsa', RSA_KEY],
      ]);
    }, 60_000);

    it('its OpenStack config drive, downloaded back from the pool, carries what was posted', async () => {
      const iso = await readIso(await downloadVolume(conn, harness.rootPool, `${name}_config.iso`));
      expect(iso.volumeId).toBe('config-2');
      expect([...iso.files.keys()].sort()).toEqual(['openstack/latest/meta_data.json', 'openstack/latest/user_data']);
      expect(JSON.parse(iso.files.get('openstack/latest/meta_data.json')!)).toEqual({
        availability_zone: 'none',
        files: [],
        hostname: name,
        launch_index: 0,
        name,
        meta: {},
        public_keys: { test: TEST_KEY, rsa: RSA_KEY },
        uuid: id,
      });
      expect(iso.files.get('openstack/latest/user_data')).toBe(`${goTrimSpace(NASTY_USERDATA)}\n`);
    }, 60_000);

    it('answers 409 for the same name (form or JSON) and touches nothing', async () => {
      const domain = await conn.lookupDomainByName(name);
      const snapshot = async () => ({
        xml: await domain.getXmlDesc({ flags: DomainXmlFlags.INACTIVE }),
        state: (await domain.getState()).state,
        network: await (await conn.lookupNetworkByName(NET)).getXmlDesc(),
        volumes: (await (await conn.lookupStoragePoolByName(harness.rootPool)).listAllVolumes())
          .filter((v) => v.name.startsWith(name))
          .map((v) => [v.name, v.capacity])
          .sort(),
      });
      const before = await snapshot();
      const message = `machine with name '${name}' already exists on provider 'H'`;
      const viaForm = await create(
        form([
          ['Name', name],
          ['Plan', 'wide'],
          ['Image', DEBIAN_RAW],
          ['Provider', 'H'],
        ]),
      );
      expect(viaForm.status).toBe(409);
      expect(viaForm.json).toEqual({ Error: message });
      const viaJson = await create(
        JSON.stringify({ Name: name, Plan: 'tiny', Image: CIRROS, Provider: 'H' }),
        'application/json',
      );
      expect(viaJson.status).toBe(409);
      expect(viaJson.json).toEqual({ Error: message });
      expect(await snapshot()).toEqual(before);
    }, 60_000);

    it("runs stop, start, reboot, pause, resume, shutdown with 0.6's message, the state following in libvirt and the API", async () => {
      const expected: [string, string, string][] = [
        // action, libvirt state after, API state after
        ['stop', 'shutoff', 'stopped'],
        ['start', 'running', 'running'],
        ['reboot', 'running', 'running'],
        ['pause', 'paused', 'paused'],
        ['resume', 'running', 'running'],
      ];
      for (const [action, libvirt, state] of expected) {
        const res = await api(`/api/machines/H/${id}/${action}/`, { method: 'POST' });
        expect(res.status, `${action}: ${res.text}`).toBe(200);
        expect(res.headers.get('content-type')).toBe(JSON_TYPE);
        // Via (new): a reboot reaches this guest without an OS (and without an agent) by the ACPI button.
        expect(res.json).toEqual({
          Message: `Action ${action} done for machine ${name}`,
          ...(action === 'reboot' ? { Via: 'acpi' } : {}),
        });
        expect(await libvirtState(), action).toBe(libvirt);
        expect((await api(`/api/machines/H/${id}/`)).json.Machine.State, action).toBe(state);
        expect((await api(`/api/machines/?provider=H&q=${name}`)).json.Machines.H[0].State, action).toBe(state);
      }
      // An ACPI power-button press: accepted and sent; this guest (the harness's test image has no
      // OS) ignores it and keeps running. test/system/e2e/api-guest.test.ts sees a real guest power off.
      const shutdown = await api(`/api/machines/H/${id}/shutdown/`, { method: 'POST' });
      expect(shutdown.status).toBe(200);
      expect(shutdown.json).toEqual({ Message: `Action shutdown done for machine ${name}`, Via: 'acpi' });
      await new Promise((r) => setTimeout(r, 1000));
      expect(await libvirtState()).toBe('running');
      expect((await api(`/api/machines/H/${id}/`)).json.Machine.State).toBe('running');
    }, 120_000);

    it('refuses an action the state does not allow (400, the reason), an unknown action (404) and other methods (501)', async () => {
      expect(await libvirtState()).toBe('running');
      const resume = await api(`/api/machines/H/${id}/resume/`, { method: 'POST' });
      expect(resume.status).toBe(400);
      expect(resume.json).toEqual({
        Error: `cannot resume machine ${name}: it is running; allowed now: stop, shutdown, reboot, pause`,
      });
      const start = await api(`/api/machines/H/${id}/start/`, { method: 'POST' });
      expect(start.status).toBe(400);
      expect(start.json.Error).toMatch(new RegExp(`^cannot start machine ${name}: it is running`));
      const unknown = await api(`/api/machines/H/${id}/explode/`, { method: 'POST' });
      expect(unknown.status).toBe(404);
      expect(unknown.json).toEqual({
        Error: "unknown action 'explode'; the actions are start, stop, shutdown, reboot, pause, resume",
      });
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const res = await api(`/api/machines/H/${id}/stop/`, { method });
        expect(res.status, method).toBe(501);
        expect(res.json).toEqual({ Error: 'Not implemented' });
      }
      for (const method of ['PUT', 'POST']) {
        const res = await api(`/api/machines/H/${id}/`, { method });
        expect(res.status, method).toBe(501);
        expect(res.json).toEqual({ Error: 'Not implemented' });
      }
      expect(await libvirtState()).toBe('running');
    }, 60_000);

    it('DELETE → 204 without a body; domain, NAME_disk, NAME_config.iso and the DHCP host are gone', async () => {
      const res = await api(`/api/machines/H/${id}/`, { method: 'DELETE' });
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      await nothingOf(name);
      expect(dhcpHosts(await (await conn.lookupNetworkByName(NET)).getXmlDesc()).has(detail.HWAddr as string)).toBe(false);
      const message = { Error: `Machine with id ${id} not found on provider H` };
      expect(await api(`/api/machines/H/${id}/`)).toMatchObject({ status: 404, json: message });
      expect(await api(`/api/machines/H/${id}/`, { method: 'DELETE' })).toMatchObject({ status: 404, json: message });
      expect(await api(`/api/machines/H/${id}/start/`, { method: 'POST' })).toMatchObject({ status: 404, json: message });
      expect((await api(`/api/machines/?provider=H&q=${name}`)).json.Machines).toEqual({ H: [] });
      expect(await listedOnce('HNC', name, (m) => m.length === 0)).toEqual([]);
    }, 120_000);
  });

  it('POST /api/machines/ with JSON as another user on a NoCloud provider: its Creator, plan, raw disk and drive', async () => {
    const name = `${PREFIX}-json`;
    const res = await create(
      JSON.stringify({
        Name: name,
        Plan: 'wide',
        Image: DEBIAN_RAW,
        Provider: 'HNC',
        SSHKeys: ['rsa'],
        Userdata: '#cloud-config\npackages: []\n',
      }),
      'application/json',
      ALICE,
    );
    expect(res.status, res.text).toBe(201);
    const id = (await conn.lookupDomainByName(name)).uuid.replaceAll('-', '');
    expect(res.headers.get('location')).toBe(`/api/machines/HNC/${id}/`);
    expect(res.json).toEqual({ Message: `Machine ${name} (${id}) created` });
    try {
      const detail = await api(`/api/machines/HNC/${dashed(id)}/`, { who: ALICE });
      expect(detail.json.Machine).toMatchObject({
        Id: id,
        Name: name,
        Plan: 'wide',
        Creator: 'alice',
        OS: 'Debian-12',
        Memory: 96 * MiB,
        Cpus: 2,
        ImageId: DEBIAN_RAW,
        RootDisk: { Size: 2 * GiB, Driver: 'qemu', Type: 'raw' },
        SSHKeys: [{ Name: 'rsa', Public: RSA_KEY }],
        State: 'running',
        Managed: true,
        Provider: 'HNC',
        Ip: { Address: expect.any(String) },
      });
      const iso = await readIso(await downloadVolume(conn, harness.rootPool, `${name}_config.iso`));
      expect(iso.volumeId).toBe('cidata');
      expect([...iso.files.keys()].sort()).toEqual(['meta-data', 'user-data']);
      // YAML written in JSON syntax.
      expect(JSON.parse(iso.files.get('meta-data')!)).toEqual({
        'instance-id': id,
        'local-hostname': name,
        hostname: name,
        'public-keys': { rsa: RSA_KEY },
      });
      expect(iso.files.get('user-data')).toBe('#cloud-config\npackages: []\n');
    } finally {
      const deleted = await api(`/api/machines/HNC/${id}/`, { method: 'DELETE', who: ALICE });
      expect(deleted.status).toBe(204);
    }
    await nothingOf(name);
  }, 120_000);
});
