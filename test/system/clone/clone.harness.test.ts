/**
 * Clone on the harness hypervisor (qemu+ssh, real storage and network), through the machine
 * service: an overlay source gives an overlay clone holding the source's own changes, `full`
 * flattens it, a full source gives a full copy; the clone has its own name, UUID, MAC, address
 * reservation and config drive (new instance id and hostname), its source's tags and size, and
 * the cloning user as creator. A fault after each step leaves nothing of the clone and the source
 * as it was. (That a clone boots with its own hostname and address is proven in a real Debian
 * guest: test/system/e2e/day2-guest.test.ts.)
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../../server/libvirt/index.js';
import type { CloneMachineRequest } from '../../../server/core/requests.js';
import type { Machine } from '../../../server/core/machine.js';
import { ServiceError } from '../../../server/core/service-error.js';
import type { CreateStep } from '../../../server/services/machines/create/create-machine.js';
import { CLONE_VENDORDATA } from '../../../server/services/machines/clone/clone-machine.js';
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
} from '../../services/machines/harness-fixture.js';
import { SSH_KEY, serviceConfig, startService, type ServiceSetup } from '../../services/machines/setup.js';

const run = promisify(execFile);
const { env, skipReason } = requireHarness();
const PREFIX = `clnt${process.pid % 100000}`;
const NET = `${PREFIX}-net`;
const SUBNET = 202 * 256 + (process.pid % 200);

let hooked: ((step: CreateStep, name: string) => Promise<void>) | undefined;

describe.skipIf(skipReason !== undefined)('clone on the harness hypervisor', () => {
  const harness = env!;
  let setup: ServiceSetup;
  let conn: Connection;
  let overlaySource: Machine;
  let fullSource: Machine;
  let secondOverlay: Machine;
  let createMachine: (provider: string, name: string) => Promise<Machine>;

  const cloneReq = (source: Machine, name: string, extra: Partial<CloneMachineRequest> = {}): CloneMachineRequest => ({
    provider: source.provider,
    id: source.id,
    name: `${PREFIX}-${name}`,
    full: false,
    start: false,
    by: 'alice',
    ...extra,
  });
  const volumeXml = async (name: string) =>
    (await (await conn.lookupStoragePoolByName(harness.rootPool)).lookupVolumeByName(name)).getXmlDesc();
  const diskPath = (name: string) => `${harness.rootDir}/${name}_disk`;
  /** What the file itself says (libvirt's volume XML can describe what was asked for, not what was made). */
  const backingFile = async (name: string): Promise<string | undefined> =>
    (JSON.parse((await run('qemu-img', ['info', '-U', '--output=json', diskPath(name)])).stdout) as Record<string, string>)[
      'backing-filename'
    ];

  beforeAll(async () => {
    const t = harnessTemplates(harness);
    await defineNetwork(harness, t.dir, NET, `vbc${process.pid % 100000}`, SUBNET, [10, 60]);
    const base = harnessHypervisor(harness, t, NET);
    setup = await startService(serviceConfig([base('H'), base('HLINKED', { volumeTemplate: t.linked })]), {
      createHooks: { afterStep: (step, name) => hooked?.(step, name) ?? Promise.resolve() },
    });
    conn = await rawConnection(harness);
    const create = (provider: string, name: string) =>
      setup.service.createMachine({
        provider,
        name: `${PREFIX}-${name}`,
        plan: 'small',
        image: 'Cirros-0.6_amd64_qcow2.img',
        sshKeys: ['test'],
        userdata: '#cloud-config\nhostname: ignored\n',
        creator: 'admin',
      });
    [overlaySource, fullSource, secondOverlay] = await Promise.all([
      create('HLINKED', 'ovl'),
      create('H', 'full'),
      create('HLINKED', 'ovl2'),
    ]);
    for (const source of [overlaySource, fullSource, secondOverlay])
      await setup.service.changeState(source.provider, source.id, 'stop');
    createMachine = create;
    await setup.service.changeProperties(overlaySource.provider, overlaySource.id, { tags: ['web', 'blue'] }, 'admin');
    // The source's own change, on top of the image: a clone must carry it.
    await run('qemu-io', ['-c', 'write -P 0xab 10M 1M', diskPath(overlaySource.name)]);
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

  async function expectNothingLeft(name: string): Promise<void> {
    expect(await leftovers(conn, harness, NET, name)).toEqual([]);
  }

  async function expectSourceIntact(source: Machine): Promise<void> {
    const now = await setup.service.getMachine(source.provider, source.id);
    expect({ state: now.state, hwaddr: now.hwaddr, ip: now.ip?.address, name: now.name }).toEqual({
      state: 'stopped',
      hwaddr: source.hwaddr,
      ip: source.ip?.address,
      name: source.name,
    });
    expect(await volumeXml(`${source.name}_disk`)).toContain(source.name);
  }

  it('clones an overlay as an overlay of the same image, with the source’s changes, its own identity and address', async () => {
    const req = cloneReq(overlaySource, 'ovl-copy', { start: true });
    const clone = await setup.service.cloneMachine(req);
    expect(clone).toMatchObject({
      name: req.name,
      state: 'running',
      creator: 'alice',
      plan: 'small',
      imageId: overlaySource.imageId,
      sshKeys: [{ name: 'test', public: SSH_KEY }],
      userdata: overlaySource.userdata,
      properties: { tags: ['blue', 'web'] },
    });
    expect(clone.id).not.toBe(overlaySource.id);
    expect(clone.hwaddr).not.toBe(overlaySource.hwaddr);
    expect(clone.ip?.address).toBeDefined();
    expect(clone.ip!.address).not.toBe(overlaySource.ip!.address);
    const hosts = await (await conn.lookupNetworkByName(NET)).getXmlDesc();
    expect(hosts).toContain(`<host mac='${clone.hwaddr}' name='${req.name}' ip='${clone.ip!.address}'/>`);
    expect(hosts).toContain(
      `<host mac='${overlaySource.hwaddr}' name='${overlaySource.name}' ip='${overlaySource.ip!.address}'/>`,
    );

    expect(await backingFile(req.name)).toBe(`${harness.imageDir}/Cirros-0.6_amd64_qcow2.img`);
    expect(await volumeXml(`${req.name}_disk`)).toContain('<backingStore>');
    // Only the source's own layer is copied: the clone is small, and reads the source's change.
    const { stdout } = await run('qemu-io', ['-r', '-U', '-c', 'read -P 0xab 10M 1M', diskPath(req.name)]);
    expect(stdout).toContain('read 1048576/1048576');

    const iso = await readIso(await downloadVolume(conn, harness.rootPool, `${req.name}_config.iso`));
    expect(JSON.parse(iso.files.get('openstack/latest/meta_data.json')!)).toMatchObject({
      hostname: req.name,
      name: req.name,
      uuid: clone.id,
      public_keys: { test: SSH_KEY },
    });
    expect(iso.files.get('openstack/latest/user_data')).toBe(overlaySource.userdata);
    // A machine id of its own on its first boot (the copied disk holds the source's).
    expect(JSON.parse(iso.files.get('openstack/latest/vendor_data.json')!)).toEqual({ 'cloud-init': CLONE_VENDORDATA });
    const xml = await (await conn.lookupDomainByName(req.name)).getXmlDesc();
    expect(xml).toContain(`${req.name}_config.iso`);
    expect(xml).not.toContain(`${overlaySource.name}_`);
    await expectSourceIntact(overlaySource);
    // Both run at once: nothing of the source's (disk, drive, sockets, display port) is shared.
    const sourceRunning = await setup.service.changeState(overlaySource.provider, overlaySource.id, 'start');
    expect(sourceRunning.machine.state).toBe('running');
    await setup.service.changeState(overlaySource.provider, overlaySource.id, 'stop');

    await setup.service.deleteMachine(clone.provider, clone.id);
    await expectNothingLeft(req.name);
    await expectSourceIntact(overlaySource);
  }, 180_000);

  it('makes a full copy of an overlay when asked, and of a source that is a full copy', async () => {
    const flat = await setup.service.cloneMachine(cloneReq(overlaySource, 'flat', { full: true }));
    const copy = await setup.service.cloneMachine(cloneReq(fullSource, 'full-copy'));
    try {
      for (const made of [flat, copy]) {
        expect(made.state).toBe('stopped');
        expect(made.ip?.source).toBe('reservation');
        expect(await backingFile(made.name)).toBeUndefined();
      }
      await run('qemu-io', ['-r', '-U', '-c', 'read -P 0xab 10M 1M', diskPath(flat.name)]);
      const { stdout } = await run('qemu-img', ['compare', '-U', diskPath(fullSource.name), diskPath(copy.name)]);
      expect(stdout).toContain('Images are identical');
    } finally {
      for (const made of [flat, copy]) await setup.service.deleteMachine(made.provider, made.id);
    }
    for (const made of [flat, copy]) await expectNothingLeft(made.name);
  }, 180_000);

  it('makes a full copy of an overlay that has snapshots (they stay with the source)', async () => {
    await virsh(harness, 'snapshot-create-as', overlaySource.name, 'before-clone');
    try {
      const copy = await setup.service.cloneMachine(cloneReq(overlaySource, 'snap-copy'));
      expect(await backingFile(copy.name)).toBeUndefined();
      const { stdout } = await run('qemu-img', ['snapshot', '-U', '-l', diskPath(copy.name)]);
      expect(stdout).not.toContain('before-clone');
      await setup.service.deleteMachine(copy.provider, copy.id);
      await expectNothingLeft(copy.name);
    } finally {
      await virsh(harness, 'snapshot-delete', overlaySource.name, 'before-clone');
    }
  }, 180_000);

  it('refuses a running source, and a name in use, leaving everything as it was', async () => {
    const running = await setup.service.cloneMachine(cloneReq(fullSource, 'run', { start: true }));
    try {
      const refused = await setup.service.cloneMachine(cloneReq(running, 'run-copy')).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(ServiceError);
      expect((refused as ServiceError).kind).toBe('conflict');
      expect((refused as ServiceError).message).toMatch(/is running; a clone is made of a shut-off machine only/);
      await expectNothingLeft(`${PREFIX}-run-copy`);
      const taken = await setup.service
        .cloneMachine(cloneReq(fullSource, 'x', { name: running.name }))
        .catch((err: unknown) => err);
      expect((taken as ServiceError).kind).toBe('conflict');
    } finally {
      await setup.service.deleteMachine(running.provider, running.id);
    }
  }, 180_000);

  describe('a fault after each step leaves nothing of the clone, and the source as it was', () => {
    for (const step of [
      'validated',
      'volume-created',
      'config-drive-uploaded',
      'domain-defined',
      'ip-reserved',
      'started',
    ] as const) {
      it(`after ${step}`, async () => {
        const req = cloneReq(overlaySource, `f-${step}`, { start: true });
        hooked = async (at, name) => {
          if (at === step && name === req.name) throw new Error(`fault injected after ${step}`);
        };
        try {
          const err = await setup.service.cloneMachine(req).catch((e: unknown) => e);
          expect((err as Error).message).toContain(`fault injected after ${step}`);
        } finally {
          hooked = undefined;
        }
        await expectNothingLeft(req.name);
        await expectSourceIntact(overlaySource);
      }, 120_000);
    }
  });

  it('linked clones of two sources at once, with creates beside them: every stream completes, each copy exact', async () => {
    await run('qemu-io', ['-c', 'write -P 0xcd 20M 3M', diskPath(secondOverlay.name)]);
    const work = await Promise.allSettled([
      ...[1, 2, 3].map((n) => setup.service.cloneMachine(cloneReq(overlaySource, `par-a${n}`))),
      ...[1, 2, 3].map((n) => setup.service.cloneMachine(cloneReq(secondOverlay, `par-b${n}`))),
      createMachine('H', 'par-c1'),
      createMachine('HLINKED', 'par-c2'),
    ]);
    const made = work.map((r) => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    });
    try {
      for (const clone of made.slice(0, 6)) {
        const pattern = clone.name.includes('par-a') ? ['0xab', '10M', '1M'] : ['0xcd', '20M', '3M'];
        const { stdout } = await run('qemu-io', ['-r', '-U', '-c', `read -P ${pattern.join(' ')}`, diskPath(clone.name)]);
        expect(stdout, clone.name).toMatch(/^read \d+\/\d+ bytes/m);
        expect(await backingFile(clone.name)).toBe(`${harness.imageDir}/Cirros-0.6_amd64_qcow2.img`);
      }
    } finally {
      for (const m of made) await setup.service.deleteMachine(m.provider, m.id);
    }
    for (const m of made) await expectNothingLeft(m.name);
  }, 300_000);

  it('ten concurrent clones to one name: one is made, nine conflict, nothing extra', async () => {
    const req = cloneReq(fullSource, 'race');
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => setup.service.cloneMachine(req)));
    const made = results.filter((r) => r.status === 'fulfilled');
    expect(made).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as ServiceError).kind).toBe('conflict');
    const clone = (made[0] as PromiseFulfilledResult<Machine>).value;
    const hosts = (await (await conn.lookupNetworkByName(NET)).getXmlDesc()).split(`name='${req.name}'`).length - 1;
    expect(hosts).toBe(1);
    await setup.service.deleteMachine(clone.provider, clone.id);
    await expectNothingLeft(req.name);
  }, 180_000);
});
