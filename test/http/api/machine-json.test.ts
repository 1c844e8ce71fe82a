import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { imageFromVolume } from '../../../server/services/images/index.js';
import { machineFromDomain, parseDomainXml } from '../../../server/services/machines/domain-xml.js';
import type { Machine } from '../../../server/core/machine.js';
import { encodeGoJsonString } from '../../../server/formats/go/json.js';
import { imageToJson, imageTypeNumber, machineToJson } from '../../../server/http/api/machine-json.js';
import { buildMetadata } from '../../../server/services/machines/metadata.js';

const KEY = 'ssh-ed25519 AAAA... test@vmango';

/** The domain of behaviour doc §11 as libvirt returns it while running. */
const testapiDomain = `<domain type='kvm' id='1'>
  <name>testapi</name>
  <uuid>10234b86-bde5-4e46-af84-f8b36806b84f</uuid>
  <metadata>
    ${buildMetadata({ imageId: 'Cirros-0.6_amd64_qcow2.img', os: 'Cirros-0.6', creator: 'admin', plan: 'small', sshKeys: [{ name: 'test', public: KEY }], userdata: 'hello\n' }).xml}
  </metadata>
  <memory unit='KiB'>524288</memory>
  <currentMemory unit='KiB'>524288</currentMemory>
  <vcpu placement='static'>1</vcpu>
  <os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type><boot dev='hd'/></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none'/>
      <source file='/var/lib/libvirt/images/testapi_disk' index='2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/var/lib/libvirt/images/testapi_config.iso' index='1'/>
      <target dev='hdc' bus='ide'/>
      <readonly/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:01:91:42'/>
      <source network='vmango' portid='0d9a3c4e-0000-0000-0000-000000000000' bridge='virbr1'/>
      <model type='virtio'/>
    </interface>
    <graphics type='vnc' port='5900' autoport='yes' listen='127.0.0.1'>
      <listen type='address' address='127.0.0.1'/>
    </graphics>
  </devices>
</domain>`;

const ORIGINAL_VM_JSON =
  '{"Id":"10234b86bde54e46af84f8b36806b84f","Name":"testapi","Plan":"small","Creator":"admin",' +
  '"OS":"Cirros-0.6","Arch":"x86_64","Memory":536870912,"Cpus":1,"ImageId":"Cirros-0.6_amd64_qcow2.img",' +
  '"Ip":{"Address":"192.168.150.10","Gateway":"","Netmask":0,"UsedBy":""},' +
  '"HWAddr":"52:54:00:01:91:42","VNCAddr":"127.0.0.1:5900",' +
  '"RootDisk":{"Size":1073741824,"Driver":"qemu","Type":"qcow2"},' +
  `"SSHKeys":[{"Name":"test","Public":"${KEY}"}]`;

describe('machineToJson', () => {
  it("writes the original's JSON for the §11 machine, our extra fields after all of 0.6's", () => {
    const machine = machineFromDomain(parseDomainXml(testapiDomain), {
      provider: 'LOCAL1',
      stateCode: 1,
      rootDiskSizeBytes: 1073741824,
      ip: { address: '192.168.150.10', source: 'reservation' },
    });
    expect(JSON.stringify(machineToJson(machine))).toBe(
      `${ORIGINAL_VM_JSON},"State":"running","Managed":true,"Provider":"LOCAL1","Tags":[],"Label":null,"Description":""}`,
    );
  });

  it('writes null Ip and RootDisk and an empty key list when unknown, as 0.6 did', () => {
    const bare: Machine = machineFromDomain(
      parseDomainXml('<domain><name>x</name><uuid>c72cb377-301a-4f2a-a34c-547f70872b55</uuid></domain>'),
      { provider: 'p' },
    );
    expect(JSON.stringify(machineToJson(bare))).toBe(
      '{"Id":"c72cb377301a4f2aa34c547f70872b55","Name":"x","Plan":"","Creator":"","OS":"","Arch":"unknown","Memory":0,"Cpus":0,' +
        '"ImageId":"","Ip":null,"HWAddr":"","VNCAddr":"","RootDisk":null,"SSHKeys":[],"State":"unknown","Managed":false,"Provider":"p","Tags":[],"Label":null,"Description":""}',
    );
  });

  it('gives Size 0 for a root disk whose volume was not looked up', () => {
    const machine = machineFromDomain(parseDomainXml(testapiDomain), { provider: 'p' });
    expect(machineToJson(machine).RootDisk).toEqual({ Size: 0, Driver: 'qemu', Type: 'qcow2' });
  });
});

describe('imageToJson', () => {
  it("writes the original's JSON for the §11 images", () => {
    const volume = (name: string, allocation: number, mtime: string) => {
      const result = imageFromVolume({
        name,
        capacity: 67108864,
        allocation,
        poolName: 'vmango-images',
        xml: `<volume type='file'><name>${name}</name><target><timestamps><mtime>${mtime}</mtime></timestamps></target></volume>`,
      });
      if (!result.ok) throw new Error(result.reason);
      return result.image;
    };
    expect(JSON.stringify(imageToJson(volume('Cirros-0.6_amd64_qcow2.img', 200704, '1795387795.322488892'), 0))).toBe(
      '{"Id":"Cirros-0.6_amd64_qcow2.img","OS":"Cirros-0.6","Arch":"x86_64","Size":200704,"Type":2,' +
        '"Date":"2026-11-22T22:49:55.322488892Z","PoolName":"vmango-images"}',
    );
    expect(JSON.stringify(imageToJson(volume('Debian-12_amd64_raw.img', 4096, '1795387795'), 120))).toBe(
      '{"Id":"Debian-12_amd64_raw.img","OS":"Debian-12","Arch":"x86_64","Size":4096,"Type":1,' +
        '"Date":"2026-11-23T00:49:55+02:00","PoolName":"vmango-images"}',
    );
  });

  it("numbers formats as 0.6's IMAGE_FMT_*", () => {
    expect([imageTypeNumber('raw'), imageTypeNumber('qcow2'), imageTypeNumber(undefined)]).toEqual([1, 2, 0]);
  });
});

describe("encodeGoJsonString (Go's encoding/json string form)", () => {
  it('escapes as Go does', () => {
    expect(encodeGoJsonString('a"b\\c\nd\re\tf')).toBe('"a\\"b\\\\c\\nd\\re\\tf"');
    expect(encodeGoJsonString('<a&b>')).toBe('"\\u003ca\\u0026b\\u003e"');
    expect(encodeGoJsonString('\u0000\u0008\u000c\u001f\u007f')).toBe('"\\u0000\\u0008\\u000c\\u001f\u007f"');
    expect(encodeGoJsonString('\u2028\u2029')).toBe('"\\u2028\\u2029"');
    expect(encodeGoJsonString('ключ 😀')).toBe('"ключ 😀"');
    expect(encodeGoJsonString('lone \ud800 \udc00')).toBe('"lone \ufffd \ufffd"');
  });

  it('writes strings without anything to escape as they are, and others as the careful loop does (property)', () => {
    // The character-by-character writer as it was before strings with nothing to escape were
    // copied whole: both paths must agree on every string.
    const careful = (value: string): string => {
      let out = '"';
      for (let i = 0; i < value.length; i++) {
        const code = value.charCodeAt(i);
        if (code >= 0xd800 && code <= 0xdbff) {
          const next = value.charCodeAt(i + 1);
          if (next >= 0xdc00 && next <= 0xdfff) {
            out += value[i]! + value[i + 1]!;
            i++;
          } else out += '\ufffd';
        } else if (code >= 0xdc00 && code <= 0xdfff) out += '\ufffd';
        else if (code === 0x22) out += '\\"';
        else if (code === 0x5c) out += '\\\\';
        else if (code === 0x0a) out += '\\n';
        else if (code === 0x0d) out += '\\r';
        else if (code === 0x09) out += '\\t';
        else if (code < 0x20 || code === 0x3c || code === 0x3e || code === 0x26)
          out += '\\u00' + code.toString(16).padStart(2, '0');
        else if (code === 0x2028 || code === 0x2029) out += code === 0x2028 ? '\\u2028' : '\\u2029';
        else out += value[i]!;
      }
      return out + '"';
    };
    const unit = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string({
        unit: fc.constantFrom(
          'a',
          'é',
          '"',
          '\\',
          '<',
          '>',
          '&',
          '\n',
          '\u0001',
          '\u007f',
          '\u2028',
          '\u2029',
          '\ud800',
          '\udc00',
          '😀',
        ),
      }),
    );
    fc.assert(
      fc.property(unit, (s) => {
        expect(encodeGoJsonString(s)).toBe(careful(s));
      }),
      { numRuns: 2000 },
    );
    expect(encodeGoJsonString('/var/lib/libvirt/images/one_disk')).toBe('"/var/lib/libvirt/images/one_disk"');
  });

  it('always yields JSON that reads back to the (well-formed) string', () => {
    for (const s of ['', 'plain', '"quoted"', '<script>&amp;</script>', '\u0001\u001e', 'tab\there', '😀\u2028']) {
      expect(JSON.parse(encodeGoJsonString(s))).toBe(s);
    }
  });
});
