import fc from 'fast-check';
import { NO_PROPERTIES } from '../../../server/core/machine-properties.js';
import { machineIdFromUuid } from '../../../server/core/machine-id.js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findRootDisk, machineFromDomain, parseDomainXml, vncAddress } from '../../../server/services/machines/domain-xml.js';
import { buildMetadata } from '../../../server/services/machines/metadata.js';
import { parseNetworkXml, reportedAddress } from '../../../server/services/network/index.js';
import { XmlParseError } from '../../../server/formats/xml/tree.js';

const fixture = (name: string): string => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');
const TEST_KEY = fixture('domain-one.xml').match(/ssh-rsa [^<]+/)![0];

/** domain-one.xml as libvirt returns it once running: the autoport VNC display got port 5900. */
const runningOne = (): string =>
  fixture('domain-one.xml').replace("<graphics type='vnc' autoport='yes'", "<graphics type='vnc' port='5900' autoport='yes'");

describe("parseDomainXml on vmango 0.6's fixtures", () => {
  it('reads every fact of domain-one.xml', () => {
    const facts = parseDomainXml(fixture('domain-one.xml'));
    expect(facts).toMatchObject({
      hypervisorType: 'qemu',
      name: 'one',
      uuid: 'fb6c4f62-2cf3-4623-9aee-23f0005eb5fb',
      memoryBytes: 536870912,
      currentMemoryBytes: 536870912,
      vcpus: 1,
      osType: 'hvm',
      arch: 'x86_64',
    });
    expect(facts.currentVcpus).toBeUndefined();
    expect(facts.disks).toEqual([
      {
        type: 'file',
        device: 'disk',
        driverName: 'qemu',
        driverType: 'raw',
        source: { file: '/var/lib/libvirt/images/vmango-vms-test/one_disk' },
        targetDev: 'vda',
        targetBus: 'virtio',
        readonly: false,
      },
      {
        type: 'file',
        device: 'cdrom',
        driverName: 'qemu',
        driverType: 'raw',
        source: { file: '/var/lib/libvirt/images/vmango-vms-test/one_config.iso' },
        targetDev: 'hdc',
        targetBus: 'ide',
        readonly: true,
      },
    ]);
    expect(facts.interfaces).toEqual([
      { type: 'network', mac: '52:54:00:2e:54:28', sourceNetwork: 'vmango-test', model: 'virtio' },
    ]);
    expect(facts.graphics).toEqual([{ type: 'vnc', listen: '127.0.0.1', autoport: true }]);
    expect(facts.consoles).toEqual([{ type: 'pty', targetType: 'serial', targetPort: 0 }]);
  });

  it('gives the Machine fields machinerep_libvirt_test expects for domain one', () => {
    const network = parseNetworkXml(fixture('network-vmango-test.xml'));
    const facts = parseDomainXml(runningOne());
    const ip = reportedAddress({ mac: facts.interfaces[0]!.mac, network, leases: [], now: new Date() });
    const machine = machineFromDomain(facts, {
      provider: 'test1',
      stateCode: 1,
      rootDiskSizeBytes: 0x100000,
      ...(ip ? { ip } : {}),
    });
    expect(machine).toEqual({
      id: 'fb6c4f622cf346239aee23f0005eb5fb',
      name: 'one',
      state: 'running',
      libvirtState: 'running',
      plan: 'medium',
      creator: 'stubuser',
      os: 'StubOs-1.0',
      arch: 'x86_64',
      memoryBytes: 536870912,
      cpus: 1,
      imageId: 'image-stub-000',
      ip: { address: '192.168.128.130', source: 'reservation' },
      hwaddr: '52:54:00:2e:54:28',
      vncAddr: '127.0.0.1:5900',
      rootDisk: { path: '/var/lib/libvirt/images/vmango-vms-test/one_disk', sizeBytes: 0x100000, driver: 'qemu', type: 'raw' },
      sshKeys: [{ name: 'test', public: TEST_KEY }],
      userdata: '#!/bin/sh\n',
      managed: true,
      provider: 'test1',
      properties: NO_PROPERTIES,
    });
  });

  it('gives the Machine fields expected for domain two (no arch, port 5901, no IP)', () => {
    const network = parseNetworkXml(fixture('network-vmango-test.xml'));
    const facts = parseDomainXml(fixture('domain-two.xml'));
    expect(reportedAddress({ mac: facts.interfaces[0]!.mac, network, leases: [], now: new Date() })).toBeUndefined();
    const machine = machineFromDomain(facts, { provider: 'test1', stateCode: 5 });
    expect(machine).toMatchObject({
      id: 'c72cb377301a4f2aa34c547f70872b55',
      name: 'two',
      state: 'stopped',
      libvirtState: 'shutoff',
      plan: 'large',
      arch: 'unknown',
      memoryBytes: 536870912,
      hwaddr: '52:54:00:2e:54:29',
      vncAddr: '127.0.0.1:5901',
      userdata: '#!/bin/sh\n',
      managed: true,
    });
    expect(machine.ip).toBeUndefined();
    expect(machine.rootDisk).toEqual({ path: '/var/lib/libvirt/images/vmango-vms-test/two_disk', driver: 'qemu', type: 'raw' });
  });

  it("prefers virDomainGetInfo's memory and vcpu count when the caller has them", () => {
    const machine = machineFromDomain(parseDomainXml(fixture('domain-one.xml')), { provider: 'p', memoryBytes: 1024, cpus: 3 });
    expect(machine.memoryBytes).toBe(1024);
    expect(machine.cpus).toBe(3);
  });
});

describe('parseDomainXml on domains vmango did not create', () => {
  it('lists a bare domain with what is known instead of failing', () => {
    const facts = parseDomainXml(
      "<domain type='kvm'><name>bare</name><uuid>12345678-1234-1234-1234-1234567890AB</uuid></domain>",
    );
    expect(facts).toEqual({
      hypervisorType: 'kvm',
      name: 'bare',
      uuid: '12345678-1234-1234-1234-1234567890AB',
      osType: '',
      arch: '',
      firmware: 'bios',
      disks: [],
      interfaces: [],
      graphics: [],
      consoles: [],
      properties: NO_PROPERTIES,
    });
    const machine = machineFromDomain(facts, { provider: 'p' });
    expect(machine).toEqual({
      id: '123456781234123412341234567890ab',
      name: 'bare',
      state: 'unknown',
      libvirtState: 'unknown',
      plan: '',
      creator: '',
      os: '',
      arch: 'unknown',
      memoryBytes: 0,
      cpus: 0,
      imageId: '',
      hwaddr: '',
      vncAddr: '',
      sshKeys: [],
      userdata: '',
      managed: false,
      provider: 'p',
      properties: NO_PROPERTIES,
    });
  });

  it('ignores metadata in foreign namespaces and finds vmango metadata among them', () => {
    const foreign = parseDomainXml(
      "<domain><name>f</name><metadata><app:info xmlns:app='urn:app'><app:os>x</app:os></app:info></metadata></domain>",
    );
    expect(foreign.metadata).toBeUndefined();
    const mixed = parseDomainXml(
      "<domain><name>f</name><metadata><o:md xmlns:o='urn:other'><o:plan>wrong</o:plan></o:md>" +
        `${buildMetadata({ imageId: 'i', os: 'o', creator: 'c', plan: 'right', sshKeys: [], userdata: '' }).xml}</metadata></domain>`,
    );
    expect(mixed.metadata?.plan).toBe('right');
  });

  it('finds no root disk when no disk follows the _disk naming rule, and skips cdroms', () => {
    const xml = (disks: string): string => `<domain><devices>${disks}</devices></domain>`;
    const facts = parseDomainXml(
      xml(
        "<disk type='file' device='cdrom'><source file='/x/a_disk'/></disk>" +
          "<disk type='file'><source file='/x/data.img'/></disk>" +
          "<disk type='network' device='disk'><source protocol='rbd' name='pool/img'/></disk>",
      ),
    );
    expect(facts.disks.map((d) => d.device)).toEqual(['cdrom', 'disk', 'disk']);
    expect(findRootDisk(facts)).toBeUndefined();
    expect(machineFromDomain(facts, { provider: 'p' }).rootDisk).toBeUndefined();
  });

  it('takes the root disk from a block device or follows pool/volume sources', () => {
    const facts = parseDomainXml(
      "<domain><devices><disk type='volume' device='disk'><driver name='qemu' type='qcow2'/><source pool='default' volume='v'/></disk>" +
        "<disk type='block' device='disk'><driver name='qemu' type='raw'/><source dev='/dev/vg/m_disk'/><target dev='vdb' bus='virtio'/></disk></devices></domain>",
    );
    expect(facts.disks[0]!.source).toEqual({ pool: 'default', volume: 'v' });
    expect(findRootDisk(facts)?.source).toEqual({ dev: '/dev/vg/m_disk' });
    expect(machineFromDomain(facts, { provider: 'p' }).rootDisk).toEqual({ path: '/dev/vg/m_disk', driver: 'qemu', type: 'raw' });
  });

  it('takes the first of several interfaces and of several VNC displays', () => {
    const facts = parseDomainXml(
      "<domain><devices><interface type='bridge'><mac address='52:54:00:00:00:01'/><source bridge='br0'/></interface>" +
        "<interface type='user'><mac address='52:54:00:00:00:02'/></interface>" +
        "<graphics type='spice' port='5930' listen='0.0.0.0'/>" +
        "<graphics type='vnc' port='5901'><listen type='address' address='::1'/></graphics>" +
        "<graphics type='vnc' port='5902' listen='10.0.0.1'/></devices></domain>",
    );
    expect(facts.interfaces).toEqual([
      { type: 'bridge', mac: '52:54:00:00:00:01', sourceBridge: 'br0' },
      { type: 'user', mac: '52:54:00:00:00:02' },
    ]);
    expect(vncAddress(facts)).toBe('[::1]:5901');
    expect(machineFromDomain(facts, { provider: 'p' }).hwaddr).toBe('52:54:00:00:00:01');
  });

  it('shows no VNC address until libvirt assigns a port', () => {
    expect(
      vncAddress(parseDomainXml("<domain><devices><graphics type='vnc' port='-1' autoport='yes'/></devices></domain>")),
    ).toBe('');
    expect(vncAddress(parseDomainXml("<domain><devices><graphics type='vnc' port='5900'/></devices></domain>"))).toBe(':5900');
  });

  it('honours memory units and the current vcpu count', () => {
    const mem = (unit: string | undefined, value: string): number | undefined =>
      parseDomainXml(`<domain><memory${unit === undefined ? '' : ` unit='${unit}'`}>${value}</memory></domain>`).memoryBytes;
    expect(mem(undefined, '524288')).toBe(536870912);
    expect(mem('b', '1000')).toBe(1000);
    expect(mem('bytes', '7')).toBe(7);
    expect(mem('KB', '2')).toBe(2000);
    expect(mem('MiB', '512')).toBe(536870912);
    expect(mem('M', '1')).toBe(1048576);
    expect(mem('GB', '1')).toBe(1e9);
    expect(mem('G', '2')).toBe(2 * 1024 ** 3);
    expect(mem('TiB', '1')).toBe(1024 ** 4);
    expect(mem('parsecs', '1')).toBeUndefined();
    expect(mem('KiB', 'lots')).toBeUndefined();
    expect(mem('EiB', '99999')).toBeUndefined();
    const facts = parseDomainXml("<domain><vcpu placement='static' current='2'>8</vcpu></domain>");
    expect(facts.vcpus).toBe(8);
    expect(machineFromDomain(facts, { provider: 'p' }).cpus).toBe(2);
  });

  it('maps every libvirt state', () => {
    const facts = parseDomainXml('<domain/>');
    const states = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((stateCode) => {
      const m = machineFromDomain(facts, { provider: 'p', stateCode });
      return `${m.libvirtState}:${m.state}`;
    });
    expect(states).toEqual([
      'nostate:unknown',
      'running:running',
      'blocked:running',
      'paused:paused',
      'shutdown:stopped',
      'shutoff:stopped',
      'crashed:stopped',
      'pmsuspended:paused',
      'unknown:unknown',
    ]);
  });

  it('decodes entities and character references in values', () => {
    const facts = parseDomainXml(
      '<domain><name>a&amp;b&#x41;&#66;</name><devices><disk><source file="/p/x&apos;_disk"/></disk></devices></domain>',
    );
    expect(facts.name).toBe('a&bAB');
    expect(findRootDisk(facts)?.source.file).toBe("/p/x'_disk");
  });

  it('never throws on well-formed domains built from arbitrary subsets of devices (property)', () => {
    const device = fc.constantFrom(
      '<disk/>',
      "<disk device='cdrom'><readonly/></disk>",
      "<disk type='file'><source file='/a_disk'/><source file='/b_disk'/></disk>",
      '<interface/>',
      "<interface type='network'><mac/></interface>",
      '<graphics/>',
      "<graphics type='vnc' port='x'/>",
      '<console/>',
      "<console type='pty'><target port='-3'/></console>",
      '<video><model/></video>',
      'text',
      '<!-- c -->',
    );
    const top = fc.constantFrom(
      '<name/>',
      '<uuid/>',
      '<memory/>',
      "<memory unit=''/>",
      '<vcpu/>',
      "<vcpu current='x'>y</vcpu>",
      '<os/>',
      '<os><type arch="aarch64"/></os>',
      '<metadata/>',
      '<metadata><md/></metadata>',
      '<metadata><md><sshkeys><key/></sshkeys></md></metadata>',
      "<metadata><x:md xmlns:x='u'><x:userdata><![CDATA[ ]]></x:userdata></x:md></metadata>",
    );
    fc.assert(
      fc.property(fc.array(top, { maxLength: 6 }), fc.array(device, { maxLength: 8 }), (tops, devices) => {
        const facts = parseDomainXml(`<domain>${tops.join('')}<devices>${devices.join('')}</devices></domain>`);
        const machine = machineFromDomain(facts, { provider: 'p' });
        expect(typeof machine.id).toBe('string');
        expect(machine.managed).toBe(facts.metadata !== undefined);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseDomainXml on bad input', () => {
  it('rejects a malformed document with a clear error', () => {
    expect(() => parseDomainXml('<domain><name>x</domain>')).toThrow(XmlParseError);
    expect(() => parseDomainXml('<domain><name>x</domain>')).toThrow(/^malformed domain XML: 1:24: unexpected close tag/);
    expect(() => parseDomainXml('')).toThrow(/malformed domain XML/);
    expect(() => parseDomainXml('<domain>&nbsp;</domain>')).toThrow(/malformed domain XML/);
    expect(() => parseDomainXml('<domain/><domain/>')).toThrow(/malformed domain XML/);
  });

  it('rejects another kind of document', () => {
    expect(() => parseDomainXml('<network><name>n</name></network>')).toThrow(
      /domain XML must have a <domain> root element, got <network>/,
    );
  });

  it('turns 0.6 ids back from any UUID spelling', () => {
    expect(machineIdFromUuid('FB6C4F62-2CF3-4623-9AEE-23F0005EB5FB')).toBe('fb6c4f622cf346239aee23f0005eb5fb');
  });
});
