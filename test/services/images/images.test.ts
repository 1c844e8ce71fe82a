import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatRfc3339Nano,
  GO_ZERO_TIME,
  imageFromVolume,
  parseImageName,
  parseVolumeTimestamp,
  volumeModifiedTime,
} from '../../../server/services/images/index.js';
import { XmlParseError } from '../../../server/formats/xml/tree.js';

const volumeXml = (mtime?: string): string => `<volume type='file'>
  <name>Cirros-0.6_amd64_qcow2.img</name>
  <key>/var/lib/libvirt/images/vmango-images/Cirros-0.6_amd64_qcow2.img</key>
  <capacity unit='bytes'>117440512</capacity>
  <allocation unit='bytes'>200704</allocation>
  <target>
    <path>/var/lib/libvirt/images/vmango-images/Cirros-0.6_amd64_qcow2.img</path>
    <format type='qcow2'/>
    ${
      mtime === undefined
        ? ''
        : `<timestamps>
      <atime>1795387795.322488892</atime>
      <mtime>${mtime}</mtime>
      <ctime>1795387795.322488892</ctime>
    </timestamps>`
    }
  </target>
</volume>`;

describe('parseImageName', () => {
  it("accepts 0.6's valid test volumes", () => {
    expect(parseImageName('Centos-7_amd64_qcow2.img')).toEqual({
      ok: true,
      image: { os: 'Centos-7', osName: 'Centos', osVersion: '7', arch: 'x86_64', format: 'qcow2' },
    });
    expect(parseImageName('Ubuntu-14.04_i386_qcow2.img')).toEqual({
      ok: true,
      image: { os: 'Ubuntu-14.04', osName: 'Ubuntu', osVersion: '14.04', arch: 'x86', format: 'qcow2' },
    });
    expect(parseImageName('Ubuntu-16.04_amd64_raw.img')).toMatchObject({ ok: true, image: { arch: 'x86_64', format: 'raw' } });
  });

  it('accepts the x86_64 spelling, which 0.6 split at its underscore', () => {
    expect(parseImageName('Centos-7_x86_64_qcow2.img')).toEqual({
      ok: true,
      image: { os: 'Centos-7', osName: 'Centos', osVersion: '7', arch: 'x86_64', format: 'qcow2' },
    });
    expect(parseImageName('Centos-7_x86_64')).toEqual({ ok: false, reason: 'unknown image format: 64' });
    expect(parseImageName('Centos-7_x86_64x_raw')).toEqual({ ok: false, reason: 'unknown image format: 64x_raw' });
  });

  it("skips 0.6's invalid test volumes with 0.6's reasons", () => {
    expect(parseImageName('asdasdf')).toEqual({ ok: false, reason: 'invalid name: asdasdf' });
    expect(parseImageName('Ubuntu-16.04_2323_raw.img')).toEqual({ ok: false, reason: 'unknown image arch: 2323' });
    expect(parseImageName('Ubuntu-14.04_i386_222.img')).toEqual({ ok: false, reason: 'unknown image format: 222' });
    expect(parseImageName('not-an-image.txt')).toEqual({ ok: false, reason: 'invalid name: not-an-image.txt' });
  });

  it('handles what 0.6 crashed on: one underscore, an OS without a version', () => {
    expect(parseImageName('Debian-12_amd64')).toEqual({ ok: false, reason: 'invalid name: Debian-12_amd64' });
    expect(parseImageName('Cirros_x86_raw')).toEqual({
      ok: true,
      image: { os: 'Cirros', osName: 'Cirros', osVersion: '', arch: 'x86', format: 'raw' },
    });
    expect(parseImageName('_x86_64_raw')).toMatchObject({ ok: true, image: { os: '', arch: 'x86_64' } });
    expect(parseImageName('A-1_amd64_raw_extra')).toEqual({ ok: false, reason: 'unknown image format: raw_extra' });
    expect(parseImageName('A-1_amd64_qcow2.img.img')).toEqual({ ok: false, reason: 'unknown image format: qcow2.img' });
    expect(parseImageName('A-1_constructor_raw')).toEqual({ ok: false, reason: 'unknown image arch: constructor' });
  });

  it('agrees with the rule ^([^_]*)_(amd64|x86_64|i386|x86)_(raw|qcow2)(\\.img)?$ and never throws (property)', () => {
    const rule = /^([^_]*)_(amd64|x86_64|i386|x86)_(raw|qcow2)(\.img)?$/;
    const piece = fc.constantFrom('amd64', 'x86_64', 'i386', 'x86', 'raw', 'qcow2', '.img', '_', '-', 'Debian', '12', 'x');
    const name = fc.oneof(
      fc.array(piece, { maxLength: 7 }).map((p) => p.join('')),
      fc.string({ maxLength: 30 }),
    );
    fc.assert(
      fc.property(name, (n) => {
        const result = parseImageName(n);
        const match = rule.exec(n);
        expect(result.ok).toBe(match !== null);
        if (result.ok && match) expect(result.image.os).toBe(match[1]);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('imageFromVolume', () => {
  it('gives Size = allocation and Date from target/timestamps/mtime', () => {
    const result = imageFromVolume({
      name: 'Cirros-0.6_amd64_qcow2.img',
      capacity: 117440512,
      allocation: 200704,
      xml: volumeXml('1795387795.322488892'),
      poolName: 'vmango-images',
    });
    expect(result).toEqual({
      ok: true,
      image: {
        id: 'Cirros-0.6_amd64_qcow2.img',
        os: 'Cirros-0.6',
        osName: 'Cirros',
        osVersion: '0.6',
        arch: 'x86_64',
        format: 'qcow2',
        sizeBytes: 200704,
        capacityBytes: 117440512,
        modified: { seconds: 1795387795, nanoseconds: 322488892 },
        poolName: 'vmango-images',
      },
    });
    if (result.ok) expect(formatRfc3339Nano(result.image.modified, 0)).toBe('2026-11-22T22:49:55.322488892Z');
  });

  it('has no date for a volume without timestamps, and a reason for a bad name', () => {
    const noTime = imageFromVolume({
      name: 'Debian-12_amd64_raw.img',
      capacity: 1,
      allocation: 4096,
      xml: volumeXml(),
      poolName: 'p',
    });
    expect(noTime.ok && noTime.image.modified).toBeUndefined();
    expect(imageFromVolume({ name: 'x.txt', capacity: 1, allocation: 1, xml: volumeXml(), poolName: 'p' })).toEqual({
      ok: false,
      reason: 'invalid name: x.txt',
    });
  });

  it('reports malformed volume XML clearly', () => {
    expect(() => volumeModifiedTime('<volume><target></volume>')).toThrow(XmlParseError);
    expect(() => volumeModifiedTime('<pool/>')).toThrow(/storage volume XML must have a <volume> root element/);
  });

  it('reads libvirt timestamps', () => {
    expect(parseVolumeTimestamp('1500000000')).toEqual({ seconds: 1500000000, nanoseconds: 0 });
    expect(parseVolumeTimestamp('1500000000.000000001')).toEqual({ seconds: 1500000000, nanoseconds: 1 });
    expect(parseVolumeTimestamp(' 1.5 ')).toEqual({ seconds: 1, nanoseconds: 500000000 });
    for (const bad of ['', 'x', '1.', '1.1234567890', '-1', '1e9']) expect(parseVolumeTimestamp(bad)).toBeUndefined();
  });
});

describe("formatRfc3339Nano (Go's time.RFC3339Nano)", () => {
  it('trims trailing zeros of the fraction and drops a zero fraction', () => {
    expect(formatRfc3339Nano({ seconds: 0, nanoseconds: 0 }, 0)).toBe('1970-01-01T00:00:00Z');
    expect(formatRfc3339Nano({ seconds: 1500000000, nanoseconds: 120000000 }, 0)).toBe('2017-07-14T02:40:00.12Z');
    expect(formatRfc3339Nano({ seconds: 1500000000, nanoseconds: 1 }, 0)).toBe('2017-07-14T02:40:00.000000001Z');
  });

  it('writes the zone offset', () => {
    expect(formatRfc3339Nano({ seconds: 1500000000, nanoseconds: 5e8 }, 180)).toBe('2017-07-14T05:40:00.5+03:00');
    expect(formatRfc3339Nano({ seconds: 1500000000, nanoseconds: 0 }, -570)).toBe('2017-07-13T17:10:00-09:30');
  });

  it("gives Go's zero time for an unknown date", () => {
    expect(formatRfc3339Nano(undefined)).toBe(GO_ZERO_TIME);
    expect(GO_ZERO_TIME).toBe('0001-01-01T00:00:00Z');
  });

  it('uses the local zone when no offset is given', () => {
    const t = { seconds: 1500000000, nanoseconds: 0 };
    const offset = -new Date(1500000000 * 1000).getTimezoneOffset();
    expect(formatRfc3339Nano(t)).toBe(formatRfc3339Nano(t, offset));
  });
});
