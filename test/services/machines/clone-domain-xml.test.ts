import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cloneDomainXml } from '../../../server/services/machines/clone/clone-domain-xml.js';
import { parseDomainXml } from '../../../server/services/machines/domain-xml.js';

const fixture = (name: string): string => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');
const DIR = '/var/lib/libvirt/images/vmango-vms-test';
const UUID = '0b7f2c1e-55aa-4c3b-8f11-2a6c0e9d4f70';

const clone = (xml: string, creator = 'alice') =>
  cloneDomainXml(xml, {
    name: 'two-copy',
    uuid: UUID,
    paths: new Map([
      [`${DIR}/one_disk`, `${DIR}/two-copy_disk`],
      [`${DIR}/one_config.iso`, `${DIR}/two-copy_config.iso`],
    ]),
    creator,
  });

describe('a clone’s domain definition from its source’s', () => {
  it('renames, takes the new UUID and paths, drops the MAC, keeps every other device and 0.6’s metadata', () => {
    const source = parseDomainXml(fixture('domain-one.xml'));
    const copy = parseDomainXml(clone(fixture('domain-one.xml')));
    expect(copy.name).toBe('two-copy');
    expect(copy.uuid).toBe(UUID);
    expect(copy.disks.map((d) => d.source.file)).toEqual([`${DIR}/two-copy_disk`, `${DIR}/two-copy_config.iso`]);
    expect(copy.interfaces.map((n) => n.mac)).toEqual(['']);
    expect(copy.interfaces[0]!.sourceNetwork).toBe(source.interfaces[0]!.sourceNetwork);
    expect(copy.metadata).toEqual({ ...source.metadata, creator: 'alice' });
    expect({ ...copy, name: '', uuid: '', disks: [], interfaces: [], metadata: undefined }).toEqual({
      ...source,
      name: '',
      uuid: '',
      disks: [],
      interfaces: [],
      metadata: undefined,
    });
  });

  it('drops what must be the source’s own (NVRAM, generation id, fixed display ports) and follows sysinfo’s UUID', () => {
    const xml = fixture('domain-one.xml')
      .replace(
        '<os>',
        `<os><loader type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader><nvram>/var/lib/libvirt/qemu/nvram/one_VARS.fd</nvram>`,
      )
      .replace(
        '<memory',
        `<genid>43dc0cf8-809b-4adb-9bea-a9abb5f3d90e</genid><sysinfo type='smbios'><system><entry name='uuid'>fb6c4f62-2cf3-4623-9aee-23f0005eb5fb</entry><entry name='serial'>S1</entry></system></sysinfo><memory`,
      )
      .replace(
        `<graphics type='vnc' autoport='yes' listen='127.0.0.1'>`,
        `<graphics type='vnc' port='5905' autoport='no' listen='127.0.0.1'>`,
      );
    const written = clone(xml);
    expect(written).not.toContain('nvram');
    expect(written).not.toContain('genid');
    expect(written).toContain('<loader type="pflash">/usr/share/OVMF/OVMF_CODE.fd</loader>');
    expect(written).toContain(`<entry name="uuid">${UUID}</entry><entry name="serial">S1</entry>`);
    expect(written).toContain('<graphics type="vnc" autoport="yes" listen="127.0.0.1">');
  });

  it('gives serial logs and socket paths named after the source the clone’s name, and drops a log named otherwise', () => {
    const xml = fixture('domain-one.xml')
      .replace("<serial type='pty'>", "<serial type='pty'><log file='/var/log/libvirt/qemu/one-serial.log' append='on'/>")
      .replace(
        "<console type='pty'>",
        "<channel type='unix'><source mode='bind' path='/run/vm/one.agent'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel><parallel type='pty'><log file='/var/log/shared.log'/><target port='0'/></parallel><console type='pty'>",
      );
    const written = clone(xml);
    expect(written).toContain('<log file="/var/log/libvirt/qemu/two-copy-serial.log" append="on"/>');
    expect(written).toContain('<source mode="bind" path="/run/vm/two-copy.agent"/>');
    expect(written).not.toContain('shared.log');
    expect(written).not.toContain('one-serial');
  });

  it('keeps a hostile creator as text inside the creator element', () => {
    const written = clone(fixture('domain-one.xml'), '</vmango:creator><vmango:plan>huge</vmango:plan>');
    const copy = parseDomainXml(written);
    expect(copy.metadata?.creator).toBe('</vmango:creator><vmango:plan>huge</vmango:plan>');
    expect(copy.metadata?.plan).toBe('medium');
  });
});
