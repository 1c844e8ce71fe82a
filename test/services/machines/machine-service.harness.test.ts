// The machine service on the real harness hypervisor (qemu+ssh): create, delete, rollback of every step, concurrency.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AffectFlags, type Connection } from '../../../server/libvirt/index.js';
import type { CreateStep } from '../../../server/services/machines/create/create-machine.js';
import type { CreateMachineRequest } from '../../../server/core/requests.js';
import { ServiceError } from '../../../server/core/service-error.js';
import { requireHarness } from '../../helpers/harness.js';
import {
  cleanupPrefix,
  defineNetwork,
  downloadVolume,
  harnessHypervisor,
  harnessTemplates,
  leftovers,
  rawConnection,
  readIso,
  removeNetwork,
  virsh,
} from './harness-fixture.js';
import { SSH_KEY, serviceConfig, startService, type ServiceSetup } from './setup.js';

const { env, skipReason } = requireHarness();
const PREFIX = `svct${process.pid % 100000}`;
const NET = `${PREFIX}-net`;
const FULL_NET = `${PREFIX}-full`;
const SUBNET = 200 * 256 + (process.pid % 200);
const FULL_SUBNET = 201 * 256 + (process.pid % 200);

let hooked: ((step: CreateStep, name: string) => Promise<void>) | undefined;

describe.skipIf(skipReason !== undefined)('machine service on the harness hypervisor', () => {
  const harness = env!;
  let setup: ServiceSetup;
  let conn: Connection;

  beforeAll(async () => {
    const t = harnessTemplates(harness);
    await defineNetwork(harness, t.dir, NET, `vbs${process.pid % 100000}`, SUBNET, [10, 60]);
    // One address, already reserved for someone else: the range is exhausted.
    await defineNetwork(
      harness,
      t.dir,
      FULL_NET,
      `vbf${process.pid % 100000}`,
      FULL_SUBNET,
      [10, 10],
      `<host mac='52:54:00:ff:ff:01' name='someone-else' ip='10.${FULL_SUBNET >> 8}.${FULL_SUBNET & 255}.10'/>`,
    );
    const base = harnessHypervisor(harness, t, NET);
    const config = serviceConfig([
      base('H'),
      base('HNOCLOUD', { configDriveFormat: 'nocloud' }),
      base('HLINKED', { volumeTemplate: t.linked }),
      base('HBADVOL', { volumeTemplate: t.badVolume }),
      base('HBADVM', { vmTemplate: t.badVm }),
      base('HFULL', { network: FULL_NET }),
    ]);
    setup = await startService(config, { createHooks: { afterStep: (step, name) => hooked?.(step, name) ?? Promise.resolve() } });
    conn = await rawConnection(harness);
  }, 120_000);

  afterAll(async () => {
    hooked = undefined;
    if (conn) {
      await cleanupPrefix(conn, harness, PREFIX);
      await conn.close();
    }
    await setup?.close();
    await removeNetwork(harness, NET);
    await removeNetwork(harness, FULL_NET);
  }, 120_000);

  const request = (name: string, extra: Partial<CreateMachineRequest> = {}): CreateMachineRequest => ({
    provider: 'H',
    name: `${PREFIX}-${name}`,
    plan: 'small',
    image: 'Cirros-0.6_amd64_qcow2.img',
    sshKeys: ['test'],
    userdata: '  #cloud-config\nhostname: x  ',
    creator: 'admin',
    ...extra,
  });

  async function networkHosts(network = NET): Promise<string> {
    return (await conn.lookupNetworkByName(network)).getXmlDesc();
  }

  async function expectNothingLeft(name: string, network = NET): Promise<void> {
    expect(await leftovers(conn, harness, network, name)).toEqual([]);
    const images = (await (await conn.lookupStoragePoolByName(harness.imagePool)).listAllVolumes()).map((v) => v.name);
    expect(images).toEqual(
      expect.arrayContaining(['Cirros-0.6_amd64_qcow2.img', 'Ubuntu-22.04_amd64_qcow2.img', 'Debian-12_amd64_raw.img']),
    );
  }

  async function failure(promise: Promise<unknown>): Promise<ServiceError> {
    try {
      await promise;
    } catch (err) {
      expect(err).toBeInstanceOf(ServiceError);
      return err as ServiceError;
    }
    throw new Error('expected the create to fail');
  }

  it('creates a running machine (openstack config drive), reads it back, and deletes all of it', async () => {
    const req = request('os');
    const machine = await setup.service.createMachine(req);
    expect(machine).toMatchObject({
      name: req.name,
      state: 'running',
      managed: true,
      plan: 'small',
      creator: 'admin',
      os: 'Cirros-0.6',
      imageId: 'Cirros-0.6_amd64_qcow2.img',
      userdata: '#cloud-config\nhostname: x\n',
      arch: 'x86_64',
      sshKeys: [{ name: 'test', public: SSH_KEY }],
      rootDisk: { sizeBytes: 1024 ** 3, type: 'qcow2' },
      ip: { source: 'reservation' },
    });
    const again = await setup.service.getMachine('H', machine.id);
    expect(again).toMatchObject({ id: machine.id, plan: 'small', userdata: machine.userdata, sshKeys: machine.sshKeys });
    expect(await networkHosts()).toContain(`<host mac='${machine.hwaddr}' name='${req.name}' ip='${machine.ip!.address}'/>`);
    const listed = (await setup.service.listMachines({ provider: 'H', q: req.name })).machines.get('H')!.machines;
    expect(listed.map((m) => m.id)).toEqual([machine.id]);

    const iso = await readIso(await downloadVolume(conn, harness.rootPool, `${req.name}_config.iso`));
    expect(iso.volumeId).toBe('config-2');
    expect(JSON.parse(iso.files.get('openstack/latest/meta_data.json')!)).toMatchObject({
      hostname: req.name,
      name: req.name,
      uuid: machine.id,
      public_keys: { test: SSH_KEY },
    });
    expect(iso.files.get('openstack/latest/user_data')).toBe('#cloud-config\nhostname: x\n');
    const xml = await (await conn.lookupDomainByName(req.name)).getXmlDesc();
    expect(xml).toContain(`${req.name}_config.iso`);

    const deleted = await setup.service.deleteMachine('H', machine.id);
    expect(deleted.id).toBe(machine.id);
    await expectNothingLeft(req.name);
  }, 120_000);

  it('writes a NoCloud config drive when the hypervisor asks for it', async () => {
    const req = request('nc', { provider: 'HNOCLOUD' });
    const machine = await setup.service.createMachine(req);
    try {
      const iso = await readIso(await downloadVolume(conn, harness.rootPool, `${req.name}_config.iso`));
      expect(iso.volumeId).toBe('cidata');
      expect(iso.files.get('meta-data')).toContain(`"instance-id": "${machine.id}"`);
      expect(iso.files.get('user-data')).toBe('#cloud-config\nhostname: x\n');
    } finally {
      await setup.service.deleteMachine('HNOCLOUD', machine.id);
    }
    await expectNothingLeft(req.name);
  }, 120_000);

  it('creates a copy-on-write overlay when the volume template declares a backingStore', async () => {
    const req = request('ln', { provider: 'HLINKED' });
    const machine = await setup.service.createMachine(req);
    try {
      const volume = await (await conn.lookupStoragePoolByName(harness.rootPool)).lookupVolumeByName(`${req.name}_disk`);
      const xml = await volume.getXmlDesc();
      expect(xml).toContain('<backingStore>');
      expect(xml).toContain('Cirros-0.6_amd64_qcow2.img');
      expect(machine.state).toBe('running');
    } finally {
      await setup.service.deleteMachine('HLINKED', machine.id);
    }
    await expectNothingLeft(req.name);
  }, 120_000);

  describe('a fault at each step leaves nothing behind', () => {
    it('volume template libvirt rejects (clone)', async () => {
      const req = request('f1', { provider: 'HBADVOL' });
      const err = await failure(setup.service.createMachine(req));
      expect(err.kind).toBe('internal');
      expect(err.message).toContain('failed to clone image');
      await expectNothingLeft(req.name);
    }, 60_000);

    it('image volume deleted after validation (clone)', async () => {
      const image = `${PREFIX}Tmp-1_amd64_qcow2.img`;
      await virsh(harness, 'vol-create-as', harness.imagePool, image, '1M', '--format', 'qcow2');
      const req = request('f2', { image });
      hooked = async (step) => {
        if (step === 'validated')
          await (await (await conn.lookupStoragePoolByName(harness.imagePool)).lookupVolumeByName(image)).delete();
      };
      try {
        const err = await failure(setup.service.createMachine(req));
        expect(err.message).toContain('failed to clone image');
      } finally {
        hooked = undefined;
      }
      await expectNothingLeft(req.name);
    }, 60_000);

    it('root volume gone after it was created (resize)', async () => {
      const req = request('f3');
      hooked = async (step, name) => {
        if (step === 'volume-created')
          await (await (await conn.lookupStoragePoolByName(harness.rootPool)).lookupVolumeByName(`${name}_disk`)).delete();
      };
      try {
        await failure(setup.service.createMachine(req));
      } finally {
        hooked = undefined;
      }
      await expectNothingLeft(req.name);
    }, 60_000);

    it('domain template libvirt refuses (define)', async () => {
      const req = request('f4', { provider: 'HBADVM' });
      const err = await failure(setup.service.createMachine(req));
      expect(err.message).toContain('failed to define domain');
      await expectNothingLeft(req.name);
    }, 60_000);

    it('exhausted DHCP range (address reservation)', async () => {
      const req = request('f5', { provider: 'HFULL' });
      const err = await failure(setup.service.createMachine(req));
      expect(err.message).toContain('no free IP address');
      await expectNothingLeft(req.name, FULL_NET);
    }, 60_000);

    it('a NAME_config.iso volume already there (config drive upload), which is left alone', async () => {
      const req = request('f6');
      await virsh(harness, 'vol-create-as', harness.rootPool, `${req.name}_config.iso`, '1k', '--format', 'raw');
      const err = await failure(setup.service.createMachine(req));
      expect(err.message).toContain('failed to create config drive');
      expect(await leftovers(conn, harness, NET, req.name)).toEqual([`volume ${req.name}_config.iso`]);
      await virsh(harness, 'vol-delete', '--pool', harness.rootPool, `${req.name}_config.iso`);
      await expectNothingLeft(req.name);
    }, 60_000);

    it('domain undefined behind our back (attach)', async () => {
      const req = request('f7');
      hooked = async (step, name) => {
        if (step === 'config-drive-uploaded') await (await conn.lookupDomainByName(name)).undefine();
      };
      try {
        const err = await failure(setup.service.createMachine(req));
        expect(err.message).toContain('failed to attach config drive');
      } finally {
        hooked = undefined;
      }
      await expectNothingLeft(req.name);
    }, 60_000);

    it('root disk missing when the machine starts (start)', async () => {
      const req = request('f8');
      hooked = async (step, name) => {
        if (step === 'config-drive-attached')
          await (await (await conn.lookupStoragePoolByName(harness.rootPool)).lookupVolumeByName(`${name}_disk`)).delete();
      };
      try {
        const err = await failure(setup.service.createMachine(req));
        expect(err.message).toContain('failed to start machine');
      } finally {
        hooked = undefined;
      }
      await expectNothingLeft(req.name);
    }, 60_000);
  });

  it('50 concurrent creates of one name: one success, 49 conflicts, nothing extra', async () => {
    const req = request('same');
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => setup.service.createMachine(req)));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const conflicts = results.filter((r) => r.status === 'rejected' && (r.reason as ServiceError).kind === 'conflict');
    expect(ok.length).toBe(1);
    expect(conflicts.length).toBe(49);
    const machine = (ok[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof setup.service.createMachine>>>).value;
    const hosts = (await networkHosts()).split(`name='${req.name}'`).length - 1;
    expect(hosts).toBe(1);
    await setup.service.deleteMachine('H', machine.id);
    await expectNothingLeft(req.name);
  }, 120_000);

  it('concurrent creates of different names get distinct addresses', async () => {
    const names = ['c1', 'c2', 'c3', 'c4'];
    const machines = await Promise.all(names.map((n) => setup.service.createMachine(request(n))));
    try {
      const ips = machines.map((m) => m.ip?.address);
      expect(ips.every((ip) => ip !== undefined)).toBe(true);
      expect(new Set(ips).size).toBe(names.length);
    } finally {
      for (const m of machines) await setup.service.deleteMachine('H', m.id);
    }
    for (const n of names) await expectNothingLeft(request(n).name);
  }, 180_000);

  it("delete never touches another machine's disk or an image attached to it", async () => {
    const a = await setup.service.createMachine(request('own'));
    const b = await setup.service.createMachine(request('other'));
    try {
      const domain = await conn.lookupDomainByName(a.name);
      const imagePath = await (
        await (await conn.lookupStoragePoolByName(harness.imagePool)).lookupVolumeByName('Ubuntu-22.04_amd64_qcow2.img')
      ).getPath();
      for (const [path, dev] of [
        [b.rootDisk!.path, 'vdb'],
        [imagePath, 'vdc'],
      ] as const) {
        await domain.attachDevice(
          `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${path}'/><target dev='${dev}' bus='virtio'/><readonly/></disk>`,
          { flags: AffectFlags.CONFIG },
        );
      }
      await setup.service.deleteMachine('H', a.id);
      await expectNothingLeft(a.name);
      expect((await leftovers(conn, harness, NET, b.name)).sort()).toEqual(
        [`domain ${b.name}`, `volume ${b.name}_config.iso`, `volume ${b.name}_disk`, `DHCP host ${b.name}`].sort(),
      );
      const images = (await (await conn.lookupStoragePoolByName(harness.imagePool)).listAllVolumes()).map((v) => v.name);
      expect(images).toContain('Ubuntu-22.04_amd64_qcow2.img');
    } finally {
      await setup.service.deleteMachine('H', b.id).catch(() => undefined);
    }
    await expectNothingLeft(b.name);
  }, 120_000);

  it('providers report memory and root-pool storage of the real host', async () => {
    const summary = (await setup.service.providers()).find((p) => p.name === 'H')!;
    expect(summary.state).toBe('connected');
    expect(summary.memory!.totalBytes).toBeGreaterThan(0);
    expect(summary.storage!.totalBytes).toBeGreaterThan(0);
    expect(summary.hypervisorVersion).toMatch(/QEMU/i);
    expect(summary.uri).not.toContain('keyfile');
  }, 60_000);
});
