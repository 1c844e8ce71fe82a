import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildConfigDrive,
  ConfigDriveError,
  configDriveContents,
  nocloudMetaData,
  openstackMetaDataJson,
  type ConfigDriveInput,
} from '../../../server/services/machines/config-drive.js';
import { yamlSafeString } from '../../../server/formats/yaml.js';

const UUID = '10234b86bde54e46af84f8b36806b84f';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEx test@vmango';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'vmango-config-drive-test-'));
});
afterEach(() => {
  rmSync(work, { recursive: true, force: true });
});

/** Writes the ISO to disk and reads it back with isoinfo (from genisoimage). */
function readIso(iso: Buffer): {
  volumeId: string;
  rockRidge: boolean;
  joliet: boolean;
  files: string[];
  jolietFiles: string[];
  read(path: string): string;
} {
  const file = join(work, 'drive.iso');
  writeFileSync(file, iso);
  const info = execFileSync('isoinfo', ['-d', '-i', file], { encoding: 'utf8' });
  const list = (tree: string): string[] =>
    execFileSync('isoinfo', [tree, '-f', '-i', file], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  return {
    volumeId: /^Volume id: (.*)$/m.exec(info)?.[1] ?? '',
    rockRidge: /Rock Ridge signatures/.test(info),
    joliet: /Joliet with UCS level/.test(info),
    files: list('-R'),
    jolietFiles: list('-J'),
    read: (path) => execFileSync('isoinfo', ['-R', '-i', file, '-x', path]).toString('utf8'),
  };
}

const openstackInput: ConfigDriveInput = {
  format: 'openstack',
  name: 'testapi',
  uuid32: UUID,
  sshKeys: [{ name: 'test', public: KEY }],
  userdata: 'hello\n',
};

describe('buildConfigDrive: OpenStack form (what 0.6 wrote)', () => {
  it("builds config-2 with 0.6's meta_data.json and user_data", async () => {
    const iso = readIso(await buildConfigDrive(openstackInput, { tmpRoot: work }));
    expect(iso.volumeId).toBe('config-2');
    expect(iso.rockRidge).toBe(true);
    expect(iso.joliet).toBe(true);
    expect(iso.files).toEqual([
      '/openstack',
      '/openstack/latest',
      '/openstack/latest/meta_data.json',
      '/openstack/latest/user_data',
    ]);
    expect(iso.read('/openstack/latest/meta_data.json')).toBe(
      `{"availability_zone":"none","files":[],"hostname":"testapi","launch_index":0,"name":"testapi","meta":{},` +
        `"public_keys":{"test":"${KEY}"},"uuid":"${UUID}"}`,
    );
    expect(iso.read('/openstack/latest/user_data')).toBe('hello\n');
  });

  it('writes a newline for empty userdata and survives odd keys and userdata', async () => {
    const userdata = '#cloud-config\nwrite_files: [{content: "]]> \'q\' \\"dq\\" ключ 😀 <&>"}]\r\n';
    const sshKeys = [
      { name: 'zeta', public: 'ssh-rsa Z' },
      { name: 'a"b<c>&d', public: 'ssh-rsa "quoted" <x> & \u2028' },
      { name: 'ключ', public: 'ssh-rsa K' },
      { name: 'zeta', public: 'ssh-rsa Z2' },
    ];
    const iso = readIso(await buildConfigDrive({ ...openstackInput, sshKeys, userdata }, { tmpRoot: work }));
    const metadata = iso.read('/openstack/latest/meta_data.json');
    expect(metadata).toContain(
      '"public_keys":{"a\\"b\\u003cc\\u003e\\u0026d":"ssh-rsa \\"quoted\\" \\u003cx\\u003e \\u0026 \\u2028","zeta":"ssh-rsa Z2","ключ":"ssh-rsa K"}',
    );
    expect(JSON.parse(metadata).public_keys).toEqual({
      'a"b<c>&d': 'ssh-rsa "quoted" <x> & \u2028',
      zeta: 'ssh-rsa Z2',
      ключ: 'ssh-rsa K',
    });
    expect(iso.read('/openstack/latest/user_data')).toBe(userdata);

    const empty = readIso(await buildConfigDrive({ ...openstackInput, userdata: '' }, { tmpRoot: work }));
    expect(empty.read('/openstack/latest/user_data')).toBe('\n');
  });
});

describe('buildConfigDrive: NoCloud form', () => {
  it('builds cidata with meta-data, user-data and network-config', async () => {
    const userdata = '#!/bin/sh\necho "]]>" \'single\' — ünïcödé 😀\n';
    const networkConfig = 'version: 2\nethernets:\n  eth0:\n    dhcp4: true\n';
    const iso = readIso(
      await buildConfigDrive(
        {
          format: 'nocloud',
          name: 'web-1',
          uuid32: UUID,
          userdata,
          networkConfig,
          sshKeys: [
            { name: 'odd: "name"\n- x', public: KEY },
            { name: 'plain', public: 'ssh-rsa P' },
          ],
        },
        { tmpRoot: work },
      ),
    );
    expect(iso.volumeId).toBe('cidata');
    expect(iso.files).toEqual(['/meta-data', '/network-config', '/user-data']);
    expect(iso.jolietFiles).toEqual(['/meta-data', '/network-config', '/user-data']);
    const metaData = iso.read('/meta-data');
    expect(metaData).toBe(
      `{"instance-id": "${UUID}", "local-hostname": "web-1", "hostname": "web-1", ` +
        `"public-keys": {"odd: \\"name\\"\\n- x": "${KEY}", "plain": "ssh-rsa P"}}\n`,
    );
    expect(JSON.parse(metaData)['public-keys']).toEqual({ 'odd: "name"\n- x': KEY, plain: 'ssh-rsa P' });
    expect(iso.read('/user-data')).toBe(userdata);
    expect(iso.read('/network-config')).toBe(networkConfig);
  });

  it('carries vendor data beside the userdata, in either form, when given', async () => {
    const vendordata = '#cloud-config\nbootcmd:\n  - [sh, -c, "echo \\"quoted\\""]\n';
    const nocloud = readIso(await buildConfigDrive({ ...openstackInput, format: 'nocloud', vendordata }, { tmpRoot: work }));
    expect(nocloud.files).toEqual(['/meta-data', '/user-data', '/vendor-data']);
    expect(nocloud.read('/vendor-data')).toBe(vendordata);
    const openstack = readIso(await buildConfigDrive({ ...openstackInput, vendordata }, { tmpRoot: work }));
    expect(openstack.files).toContain('/openstack/latest/vendor_data.json');
    expect(JSON.parse(openstack.read('/openstack/latest/vendor_data.json'))).toEqual({ 'cloud-init': vendordata });
  });

  it('leaves network-config out when none is given', async () => {
    const iso = readIso(await buildConfigDrive({ ...openstackInput, format: 'nocloud' }, { tmpRoot: work }));
    expect(iso.files).toEqual(['/meta-data', '/user-data']);
  });
});

describe('buildConfigDrive: tools and temporary files', () => {
  it('falls back to xorriso when genisoimage is not installed', async () => {
    const tools = [{ command: 'vmango-test-no-such-iso-tool' }, { command: 'xorriso', prefixArgs: ['-as', 'mkisofs'] }];
    const iso = readIso(await buildConfigDrive(openstackInput, { tools, tmpRoot: work }));
    expect(iso.volumeId).toBe('config-2');
    expect(iso.rockRidge).toBe(true);
    expect(iso.read('/openstack/latest/user_data')).toBe('hello\n');
  });

  it('removes its temporary directory after success and after failure', async () => {
    const staging = join(work, 'staging');
    execFileSync('mkdir', [staging]);
    await buildConfigDrive(openstackInput, { tmpRoot: staging });
    expect(readdirSync(staging)).toEqual([]);
    await expect(buildConfigDrive(openstackInput, { tmpRoot: staging, tools: [{ command: 'false' }] })).rejects.toThrow(
      /^failed to build the config drive ISO with false: Command failed/,
    );
    expect(readdirSync(staging)).toEqual([]);
  });

  it('says so when no ISO tool is installed', async () => {
    await expect(
      buildConfigDrive(openstackInput, {
        tmpRoot: work,
        tools: [{ command: 'vmango-test-none-1' }, { command: 'vmango-test-none-2' }],
      }),
    ).rejects.toThrow(
      'cannot build the config drive: none of vmango-test-none-1, vmango-test-none-2 is installed (install genisoimage or xorriso)',
    );
  });

  it('refuses bad input before touching the disk', async () => {
    await expect(
      buildConfigDrive({ ...openstackInput, uuid32: '10234b86-bde5-4e46-af84-f8b36806b84f' }, { tmpRoot: work }),
    ).rejects.toThrow(ConfigDriveError);
    expect(() => configDriveContents({ ...openstackInput, uuid32: 'XYZ' })).toThrow(
      /machine id as 32 lower-case hex digits; got "XYZ"/,
    );
    expect(() => configDriveContents({ ...openstackInput, name: '' })).toThrow(/needs the machine name/);
    expect(() => configDriveContents({ ...openstackInput, networkConfig: 'version: 2' })).toThrow(/only written to "nocloud"/);
    expect(() => configDriveContents({ ...openstackInput, format: 'iso' as never })).toThrow(
      /format "iso" is unknown; allowed are "openstack" and "nocloud"/,
    );
    expect(readdirSync(work)).toEqual([]);
  });
});

describe('config drive contents', () => {
  it('writes meta_data.json with no keys as Go does', () => {
    expect(openstackMetaDataJson({ name: 'a', uuid32: UUID, sshKeys: [] })).toBe(
      `{"availability_zone":"none","files":[],"hostname":"a","launch_index":0,"name":"a","meta":{},"public_keys":{},"uuid":"${UUID}"}`,
    );
    expect(nocloudMetaData({ name: 'a', uuid32: UUID, sshKeys: [] })).toBe(
      `{"instance-id": "${UUID}", "local-hostname": "a", "hostname": "a", "public-keys": {}}\n`,
    );
  });

  it('quotes YAML scalars so JSON reads them back and nothing unprintable stays raw (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (s) => {
        const quoted = yamlSafeString(s);
        expect(JSON.parse(quoted)).toBe(
          s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\ufffd'),
        );
        // Raw characters are limited to YAML 1.1's printable set minus its line breaks.
        expect(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/.test(quoted)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});
