/**
 * Rebuild on the harness hypervisor (qemu+ssh, real storage), through the machine service: a new
 * root disk from the same or another image and a new config drive, made beside the old ones and
 * swapped in before the old ones go; the same id, MAC and address; a running machine comes back
 * running. A fault after each step leaves the machine as it was (its old disk, definition, state),
 * and the sweeper removes what an interrupted rebuild left. (That the rebuilt guest's files are gone
 * and it answers on its address with the injected key is proven in a real Debian guest:
 * test/system/e2e/day2-guest.test.ts.)
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../../server/libvirt/index.js';
import type { Machine } from '../../../server/core/machine.js';
import type { RebuildMachineRequest } from '../../../server/core/requests.js';
import { ServiceError } from '../../../server/core/service-error.js';
import type { CreateStep } from '../../../server/services/machines/create/create-machine.js';
import { requireHarness } from '../../helpers/harness.js';
import {
  cleanupPrefix,
  defineNetwork,
  downloadVolume,
  harnessHypervisor,
  harnessTemplates,
  rawConnection,
  readIso,
  removeNetwork,
  virsh,
} from '../../services/machines/harness-fixture.js';
import { SSH_KEY, serviceConfig, startService, type ServiceSetup } from '../../services/machines/setup.js';

const run = promisify(execFile);
const { env, skipReason } = requireHarness();
const PREFIX = `rbld${process.pid % 100000}`;
const NET = `${PREFIX}-net`;
const SUBNET = 203 * 256 + (process.pid % 200);
const CIRROS = 'Cirros-0.6_amd64_qcow2.img';
const UBUNTU = 'Ubuntu-22.04_amd64_qcow2.img';

let hooked: ((step: CreateStep, name: string) => Promise<void>) | undefined;

describe.skipIf(skipReason !== undefined)('rebuild on the harness hypervisor', () => {
  const harness = env!;
  let setup: ServiceSetup;
  let conn: Connection;
  let machine: Machine;

  const rootVolumes = async (name: string) => {
    const pool = await conn.lookupStoragePoolByName(harness.rootPool);
    await pool.refresh().catch(() => undefined);
    return (await pool.listAllVolumes())
      .map((v) => v.name)
      .filter((v) => v.startsWith(`${name}_`))
      .sort();
  };
  const diskOf = async (name: string) => {
    const xml = await (await conn.lookupDomainByName(name)).getXmlDesc({ flags: 2 });
    return [...xml.matchAll(/<source file='([^']+)'/g)].map((m) => m[1]!.split('/').pop()!);
  };
  const rebuild = (extra: Partial<RebuildMachineRequest> = {}) =>
    setup.service.rebuildMachine({ provider: machine.provider, id: machine.id, by: 'alice', ...extra });
  /** Whether the disk holds `byte` at 10M (qemu-io exits non-zero when the pattern differs). */
  const pattern = async (file: string, byte: string) =>
    run('qemu-io', ['-r', '-U', '-c', `read -P ${byte} 10M 1M`, `${harness.rootDir}/${file}`]).then(
      ({ stdout }) => stdout.includes('read 1048576/1048576'),
      () => false,
    );
  /** Stops the machine, writes a pattern into its current disk, starts it again. */
  async function markDisk(byte: string): Promise<string> {
    await setup.service.changeState(machine.provider, machine.id, 'stop');
    const [disk] = await diskOf(machine.name);
    await run('qemu-io', ['-c', `write -P ${byte} 10M 1M`, `${harness.rootDir}/${disk}`]);
    await setup.service.changeState(machine.provider, machine.id, 'start');
    return disk!;
  }

  beforeAll(async () => {
    const t = harnessTemplates(harness);
    await defineNetwork(harness, t.dir, NET, `vbr${process.pid % 100000}`, SUBNET, [10, 60]);
    setup = await startService(serviceConfig([harnessHypervisor(harness, t, NET)('H', { volumeTemplate: t.linked })]), {
      createHooks: { afterStep: (step, name) => hooked?.(step, name) ?? Promise.resolve() },
      sweepIntervalMs: 0,
    });
    conn = await rawConnection(harness);
    machine = await setup.service.createMachine({
      provider: 'H',
      name: `${PREFIX}-m`,
      plan: 'small',
      image: CIRROS,
      sshKeys: ['test'],
      userdata: '#cloud-config\n',
      creator: 'admin',
    });
  }, 180_000);

  afterAll(async () => {
    hooked = undefined;
    if (conn) {
      await cleanupPrefix(conn, harness, PREFIX);
      await conn.close();
    }
    await setup?.close();
    await removeNetwork(harness, NET);
  }, 120_000);

  it('rebuilds a running machine from another image, without keys: new disk and drive in place, the same identity', async () => {
    const oldDisk = await markDisk('0xab');
    expect(oldDisk).toBe(`${machine.name}_disk`);
    const rebuilt = await rebuild({ image: UBUNTU, sshKeys: [] });
    expect(rebuilt).toMatchObject({
      id: machine.id,
      hwaddr: machine.hwaddr,
      ip: { address: machine.ip!.address },
      name: machine.name,
      state: 'running',
      imageId: UBUNTU,
      os: 'Ubuntu-22.04',
      sshKeys: [],
      creator: 'admin',
      plan: 'small',
    });
    expect(await diskOf(machine.name)).toEqual([`${machine.name}_rebuilt_disk`, `${machine.name}_rebuilt_config.iso`]);
    expect(await rootVolumes(machine.name)).toEqual([`${machine.name}_rebuilt_config.iso`, `${machine.name}_rebuilt_disk`]);
    expect(await pattern(`${machine.name}_rebuilt_disk`, '0xab')).toBe(false);
    const iso = await readIso(await downloadVolume(conn, harness.rootPool, `${machine.name}_rebuilt_config.iso`));
    expect(JSON.parse(iso.files.get('openstack/latest/meta_data.json')!)).toMatchObject({
      hostname: machine.name,
      uuid: machine.id,
      public_keys: {},
    });
  }, 180_000);

  it('rebuilds again, back to the first names, from the image it was made from now, with the key again', async () => {
    const rebuilt = await rebuild({ sshKeys: ['test'] });
    expect(rebuilt).toMatchObject({ imageId: UBUNTU, sshKeys: [{ name: 'test', public: SSH_KEY }], state: 'running' });
    expect(await diskOf(machine.name)).toEqual([`${machine.name}_disk`, `${machine.name}_config.iso`]);
    expect(await rootVolumes(machine.name)).toEqual([`${machine.name}_config.iso`, `${machine.name}_disk`]);
    machine = rebuilt;
  }, 180_000);

  it('refuses what cannot work, naming it, and changes nothing', async () => {
    const before = await diskOf(machine.name);
    for (const [request, kind, message] of [
      [{ image: 'no-such-image.img' }, 'bad-request', /^image "no-such-image.img" not found on provider "H"$/],
      [{ sshKeys: ['nobody'] }, 'bad-request', /^ssh key 'nobody' doesn't exist$/],
    ] as const) {
      const err = await rebuild(request).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ServiceError);
      expect((err as ServiceError).kind).toBe(kind);
      expect((err as ServiceError).message).toMatch(message);
    }
    await virsh(harness, 'snapshot-create-as', machine.name, 'keep');
    try {
      const err = await rebuild().catch((e: unknown) => e);
      expect((err as ServiceError).kind).toBe('conflict');
      expect((err as ServiceError).message).toMatch(/has 1 snapshot, which live in the disk a rebuild replaces: delete it first/);
    } finally {
      await virsh(harness, 'snapshot-delete', machine.name, 'keep');
    }
    expect(await diskOf(machine.name)).toEqual(before);
  }, 180_000);

  describe('a fault after each step leaves the machine as it was', () => {
    for (const step of ['volume-created', 'volume-resized', 'config-drive-uploaded', 'domain-defined', 'started'] as const) {
      it(`after ${step}`, async () => {
        const disk = await markDisk('0xcd');
        const before = await setup.service.getMachine(machine.provider, machine.id);
        hooked = async (at, name) => {
          if (at === step && name === machine.name) throw new Error(`fault injected after ${step}`);
        };
        try {
          const err = await rebuild({ image: CIRROS }).catch((e: unknown) => e);
          expect((err as Error).message).toContain(`fault injected after ${step}`);
        } finally {
          hooked = undefined;
        }
        const after = await setup.service.getMachine(machine.provider, machine.id);
        expect({ ...after, uptimeSeconds: undefined }).toMatchObject({
          state: 'running',
          imageId: before.imageId,
          sshKeys: before.sshKeys,
          hwaddr: before.hwaddr,
        });
        expect(await diskOf(machine.name)).toEqual([disk, disk.replace(/disk$/, 'config.iso')]);
        expect(await rootVolumes(machine.name)).toEqual([disk.replace(/disk$/, 'config.iso'), disk].sort());
        expect(await pattern(disk, '0xcd')).toBe(true);
      }, 180_000);
    }
  });

  it('the sweeper removes what an interrupted rebuild left, never the disk in use', async () => {
    const [disk] = await diskOf(machine.name);
    const spare = disk === `${machine.name}_disk` ? `${machine.name}_rebuilt_disk` : `${machine.name}_disk`;
    await virsh(harness, 'vol-create-as', harness.rootPool, spare, '1M', '--format', 'qcow2');
    await virsh(harness, 'vol-create-as', harness.rootPool, `${machine.name}_rebuilding`, '0', '--format', 'raw');
    const report = await setup.service.sweep('H', { staleAfterMs: 0 });
    expect(report.removed.sort()).toEqual([`volume ${machine.name}_rebuilding`, `volume ${spare}`].sort());
    expect(await diskOf(machine.name)).toContain(disk);
    expect(await rootVolumes(machine.name)).toContain(disk);
  }, 120_000);

  it('a delete after rebuilds removes the disk and drive of whichever generation the machine uses', async () => {
    await rebuild();
    expect(await diskOf(machine.name)).toEqual([`${machine.name}_rebuilt_disk`, `${machine.name}_rebuilt_config.iso`]);
    await setup.service.deleteMachine(machine.provider, machine.id);
    expect(await rootVolumes(machine.name)).toEqual([]);
  }, 120_000);
});
