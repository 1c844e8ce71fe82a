// The machine and image services on libvirt's test driver (demo/hypervisor.xml): fast, no real hypervisor.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceError } from '../../../server/core/service-error.js';
import { demoHypervisor, serviceConfig, startService, type ServiceSetup } from './setup.js';

const WEB1 = '4fe88494-0a38-4a15-b039-f94a9bea4934';
const WEB1_ID = WEB1.replaceAll('-', '');
const DB1_ID = 'c72cb377301a4f2aa34c547f70872b55';
const FOREIGN_ID = '9b2d7c1e55aa4c3b8f112a6c0e9d4f70';

const setups: ServiceSetup[] = [];
async function demo(
  extra: Parameters<typeof demoHypervisor>[1] = {},
  more: Parameters<typeof demoHypervisor>[1][] = [],
): Promise<ServiceSetup> {
  const config = serviceConfig([demoHypervisor('DEMO', extra), ...more.map((m, i) => demoHypervisor(`DEMO${i + 2}`, m))]);
  const setup = await startService(config);
  setups.push(setup);
  return setup;
}
afterEach(async () => {
  await Promise.all(setups.splice(0).map((s) => s.close()));
});

async function rejection(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ServiceError);
    return err as ServiceError;
  }
  throw new Error('expected the call to fail');
}

describe('listMachines (test driver)', () => {
  it('lists vmango machines with metadata, root disk size and reserved IP, and the foreign domain unmanaged', async () => {
    const { service } = await demo();
    const { machines, providers } = await service.listMachines();
    expect([...machines.keys()]).toEqual(['DEMO']);
    const list = machines.get('DEMO')!.machines;
    expect(list.map((m) => m.name)).toEqual(['db-1', 'legacy-appliance', 'web-1']);
    const web = list.find((m) => m.name === 'web-1')!;
    expect(web).toMatchObject({
      id: WEB1_ID,
      provider: 'DEMO',
      managed: true,
      plan: 'small',
      creator: 'demo',
      os: 'Debian-12',
      imageId: 'Debian-12_amd64_qcow2.img',
      hwaddr: '52:54:00:5a:10:01',
      state: 'running',
      ip: { address: '192.168.150.10', source: 'reservation' },
      rootDisk: { path: '/var/lib/libvirt/images/web-1_disk', sizeBytes: 10 * 1024 ** 3, type: 'qcow2' },
    });
    expect(web.sshKeys[0]!.name).toBe('demo');
    const foreign = list.find((m) => m.name === 'legacy-appliance')!;
    expect(foreign).toMatchObject({ managed: false, plan: '', hwaddr: '', rootDisk: undefined, ip: undefined });
    expect(providers).toEqual([expect.objectContaining({ name: 'DEMO', state: 'connected' })]);
  });

  it('honours ignore_vms', async () => {
    const { service } = await demo({ ignoreVms: ['legacy-appliance', 'db-1'] });
    const { machines } = await service.listMachines();
    expect(machines.get('DEMO')!.machines.map((m) => m.name)).toEqual(['web-1']);
    expect((await rejection(service.getMachine('DEMO', DB1_ID))).kind).toBe('not-found');
  });

  it('filters by provider, state and q (name, IP, image, plan, creator; case-insensitive)', async () => {
    const { service } = await demo({}, [{}]);
    expect([...(await service.listMachines({ provider: 'DEMO2' })).machines.keys()]).toEqual(['DEMO2']);
    const names = async (filter: Parameters<typeof service.listMachines>[0]) =>
      (await service.listMachines({ provider: 'DEMO', ...filter })).machines.get('DEMO')!.machines.map((m) => m.name);
    expect(await names({ q: 'WEB' })).toEqual(['web-1']);
    expect(await names({ q: '192.168.150.11' })).toEqual(['db-1']);
    expect(await names({ q: 'ubuntu-24' })).toEqual(['db-1']);
    expect(await names({ q: 'medium' })).toEqual(['db-1']);
    expect(await names({ q: 'demo' })).toEqual(['db-1', 'web-1']);
    expect(await names({ q: 'nothing-matches' })).toEqual([]);
    const running = await names({ state: 'running' });
    expect(running).toContain('web-1');
    await service.changeState('DEMO', WEB1_ID, 'stop');
    expect(await names({ state: 'stopped' })).toContain('web-1');
    expect(await names({ state: 'running' })).not.toContain('web-1');
    const err = await rejection(service.listMachines({ provider: 'NOPE' }));
    expect(err).toMatchObject({ kind: 'bad-request', fields: ['provider'] });
    expect(err.message).toMatch(/^provider 'NOPE' not found; the providers are DEMO/);
    const state = await rejection(service.listMachines({ state: 'sleeping' }));
    expect(state).toMatchObject({
      kind: 'bad-request',
      message: 'state "sleeping" is not a machine state; use one of running, stopped, paused, unknown',
      fields: ['state'],
    });
  });

  it('serves an unavailable provider as flagged with its last known list while the others answer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmango-svc-'));
    const { service } = await demo({}, [{ url: `test://${join(dir, 'missing.xml')}` }]);
    const started = Date.now();
    const { machines, providers } = await service.listMachines();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(machines.get('DEMO')!.machines.length).toBe(3);
    expect(machines.get('DEMO2')!.machines).toEqual([]);
    const flagged = providers.find((p) => p.name === 'DEMO2')!;
    expect(flagged.state).toBe('unavailable');
    expect(flagged.error).toBeTruthy();
    expect(providers.find((p) => p.name === 'DEMO')!.state).toBe('connected');
    writeFileSync(join(dir, 'unused'), '');
  });

  it('reflects changes made behind its back once libvirt reports the domain event', async () => {
    const { service, manager } = await demo();
    await service.listMachines();
    const conn = manager.get('DEMO');
    const domain = await conn.lookupDomainByName('db-1');
    await domain.destroy();
    const deadline = Date.now() + 5_000;
    let state = '';
    while (Date.now() < deadline) {
      state = (await service.listMachines()).machines.get('DEMO')!.machines.find((m) => m.name === 'db-1')!.state;
      if (state === 'stopped') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(state).toBe('stopped');
  });
});

describe('getMachine (test driver)', () => {
  it('accepts 32-hex and dashed ids', async () => {
    const { service } = await demo();
    expect((await service.getMachine('DEMO', WEB1_ID)).name).toBe('web-1');
    expect((await service.getMachine('DEMO', WEB1.toUpperCase())).id).toBe(WEB1_ID);
    expect((await service.getMachine('DEMO', FOREIGN_ID)).managed).toBe(false);
  });

  it('answers not-found for unknown and malformed ids and unknown providers', async () => {
    const { service } = await demo();
    const unknown = await rejection(service.getMachine('DEMO', '0123456789abcdef0123456789abcdef'));
    expect(unknown).toMatchObject({
      kind: 'not-found',
      message: 'Machine with id 0123456789abcdef0123456789abcdef not found on provider DEMO',
    });
    const malformed = await rejection(service.getMachine('DEMO', 'nonexist'));
    expect(malformed).toMatchObject({
      kind: 'not-found',
      message: 'Machine with id nonexist not found on provider DEMO (a machine id is 32 hex digits, or a UUID with dashes)',
    });
    expect((await rejection(service.getMachine('NOPE', WEB1_ID))).message).toBe("provider 'NOPE' not found");
  });
});

describe('changeState (test driver)', () => {
  it('stops, starts, pauses, resumes, reboots and shuts down', async () => {
    const { service } = await demo();
    expect((await service.changeState('DEMO', WEB1_ID, 'pause')).machine.state).toBe('paused');
    expect((await service.changeState('DEMO', WEB1_ID, 'resume')).machine.state).toBe('running');
    expect((await service.changeState('DEMO', WEB1_ID, 'reboot')).machine.state).toBe('running');
    expect((await service.changeState('DEMO', WEB1_ID, 'stop')).machine.state).toBe('stopped');
    expect((await service.changeState('DEMO', WEB1_ID, 'start')).machine.state).toBe('running');
    expect((await service.changeState('DEMO', WEB1_ID, 'shutdown')).machine.state).toBe('stopped');
    const listed = (await service.listMachines()).machines.get('DEMO')!.machines.find((m) => m.name === 'web-1')!;
    expect(listed.state).toBe('stopped');
  });

  it('refuses an action that makes no sense in the current state, saying what is allowed', async () => {
    const { service } = await demo();
    const err = await rejection(service.changeState('DEMO', WEB1_ID, 'start'));
    expect(err.kind).toBe('bad-request');
    expect(err.message).toBe('cannot start machine web-1: it is running; allowed now: stop, shutdown, reboot, pause');
    await service.changeState('DEMO', WEB1_ID, 'stop');
    const resume = await rejection(service.changeState('DEMO', WEB1_ID, 'resume'));
    expect(resume.message).toBe('cannot resume machine web-1: it is shutoff; allowed now: start');
  });
});

describe('deleteMachine (test driver)', () => {
  it("destroys, deletes only the machine's own volumes, releases the reservation, undefines", async () => {
    const { service, manager } = await demo();
    const before = await service.deleteMachine('DEMO', WEB1_ID);
    expect(before.name).toBe('web-1');
    const conn = manager.get('DEMO');
    const volumes = (await (await conn.lookupStoragePoolByName('default')).listAllVolumes()).map((v) => v.name).sort();
    expect(volumes).toEqual(['db-1_config.iso', 'db-1_disk']);
    const images = (await (await conn.lookupStoragePoolByName('vmango-images')).listAllVolumes()).length;
    expect(images).toBe(4);
    const networkXml = await (await conn.lookupNetworkByName('vmango')).getXmlDesc();
    expect(networkXml).not.toContain('52:54:00:5a:10:01');
    expect(networkXml).toContain('52:54:00:5a:10:02');
    expect((await rejection(service.getMachine('DEMO', WEB1_ID))).kind).toBe('not-found');
    expect((await service.listMachines()).machines.get('DEMO')!.machines.map((m) => m.name)).toEqual([
      'db-1',
      'legacy-appliance',
    ]);
  });

  it('deletes a foreign domain without touching any volume', async () => {
    const { service, manager } = await demo();
    await service.deleteMachine('DEMO', FOREIGN_ID);
    const conn = manager.get('DEMO');
    expect((await (await conn.lookupStoragePoolByName('default')).listAllVolumes()).length).toBe(4);
  });
});

describe('listImages and providers (test driver)', () => {
  it('lists images by the naming rule and skips other volumes with a log line', async () => {
    const setup = await demo();
    const { images, providers } = await setup.service.listImages();
    const list = images.get('DEMO')!;
    expect(list.map((i) => i.id).sort()).toEqual([
      'Cirros-0.6_amd64_raw.img',
      'Debian-12_amd64_qcow2.img',
      'Ubuntu-24.04_amd64_qcow2.img',
    ]);
    expect(list.find((i) => i.id === 'Cirros-0.6_amd64_raw.img')).toMatchObject({
      os: 'Cirros-0.6',
      osName: 'Cirros',
      osVersion: '0.6',
      arch: 'x86_64',
      format: 'raw',
      poolName: 'vmango-images',
      sizeBytes: 21 * 1024 * 1024,
      capacityBytes: 112 * 1024 * 1024,
    });
    expect(providers[0]!.state).toBe('connected');
    const skip = setup.lines.find((l) => l.msg === 'skipping volume');
    expect(skip).toMatchObject({ volume: 'README.txt', reason: 'invalid name: README.txt' });
  });

  it('summarises each provider; an unavailable one still appears with its state and error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmango-svc-'));
    const { service } = await demo({}, [{ url: `test://${join(dir, 'missing.xml')}` }]);
    const [demoSummary, missing] = await service.providers();
    expect(demoSummary).toMatchObject({
      name: 'DEMO',
      state: 'connected',
      uri: expect.stringContaining('test://'),
      machineCount: 3,
      hypervisorVersion: expect.stringMatching(/^TEST /),
    });
    // The test driver reports pool figures of its own and no node memory statistics.
    const storage = demoSummary!.storage!;
    expect(storage.totalBytes).toBeGreaterThan(0);
    expect(storage.usagePercent).toBe(Math.floor((storage.usedBytes / storage.totalBytes) * 100));
    expect(demoSummary!.hostname).toBeTruthy();
    expect(demoSummary!.libvirtVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(missing).toMatchObject({ name: 'DEMO2', state: 'unavailable' });
    expect(missing!.error).toBeTruthy();
    expect(missing!.hostname).toBeUndefined();
  });
});

describe('createMachine (test driver)', () => {
  const request = {
    provider: 'DEMO',
    name: 'new-1',
    plan: 'small',
    image: 'Cirros-0.6_amd64_raw.img',
    sshKeys: ['test'],
    userdata: '',
    creator: 'admin',
  };

  it('validates before anything else', async () => {
    const { service } = await demo();
    const cases: [Partial<typeof request>, string, string, string[]][] = [
      [
        { name: '', plan: '', provider: '' },
        'bad-request',
        'name required, plan required, provider required',
        ['Name', 'Plan', 'Provider'],
      ],
      [{ image: '' }, 'bad-request', 'image required', ['Image']],
      [{ name: 'bad name!<x>' }, 'bad-request', 'machine name contains " " at position 4; it must be a hostname label', ['Name']],
      [{ plan: 'huge' }, 'bad-request', 'plan "huge" not found', ['Plan']],
      [{ sshKeys: ['nokey'] }, 'bad-request', "ssh key 'nokey' doesn't exist", ['SSHKey']],
      [{ image: 'Nope_amd64_raw.img' }, 'bad-request', 'image "Nope_amd64_raw.img" not found on provider "DEMO"', ['Image']],
      [{ image: 'README.txt' }, 'bad-request', 'image "README.txt" not found on provider "DEMO"', ['Image']],
      [{ userdata: 'x'.repeat(65 * 1024) }, 'bad-request', 'userdata is 66560 bytes', ['Userdata']],
      [{ name: 'web-1' }, 'conflict', "machine with name 'web-1' already exists on provider 'DEMO'", ['Name']],
      [{ provider: 'NOPE' }, 'not-found', "provider 'NOPE' not found", ['Provider']],
    ];
    for (const [change, kind, message, fields] of cases) {
      const err = await rejection(service.createMachine({ ...request, ...change }));
      expect(err.kind, JSON.stringify(change)).toBe(kind);
      expect(err.message).toContain(message);
      expect(err.fields, JSON.stringify(change)).toEqual(fields);
    }
  });

  it("answers 'unsupported' on the test driver, touching nothing", async () => {
    const { service, manager } = await demo();
    const err = await rejection(service.createMachine(request));
    expect(err.kind).toBe('unsupported');
    expect(err.message).toContain("libvirt's test driver");
    const conn = manager.get('DEMO');
    expect((await conn.listAllDomains()).length).toBe(3);
    expect((await (await conn.lookupStoragePoolByName('default')).listAllVolumes()).length).toBe(4);
  });
});
