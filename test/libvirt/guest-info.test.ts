/** virDomainGetGuestInfo's flat parameters as a tree (server/libvirt/guest-info.ts). */
import { describe, expect, it } from 'vitest';
import { parseGuestInfo } from '../../server/libvirt/guest-info.js';

describe('parseGuestInfo', () => {
  it('reads every group libvirt reports', () => {
    const info = parseGuestInfo({
      'user.count': 1,
      'user.0.name': 'debian',
      'user.0.login-time': 1733300000000,
      'os.id': 'debian',
      'os.name': 'Debian GNU/Linux',
      'os.pretty-name': 'Debian GNU/Linux 12 (bookworm)',
      'os.version-id': '12',
      'os.kernel-release': '6.1.0-50-amd64',
      'os.machine': 'x86_64',
      'timezone.name': 'UTC',
      'timezone.offset': 0,
      hostname: 'web-1',
      'fs.count': 1,
      'fs.0.name': 'vda',
      'fs.0.mountpoint': '/',
      'fs.0.fstype': 'ext4',
      'fs.0.total-bytes': 2_000_000_000,
      'fs.0.used-bytes': 900_000_000,
      'fs.0.disk.count': 1,
      'fs.0.disk.0.alias': 'vda',
      'fs.0.disk.0.device': '/dev/vda',
      'if.count': 2,
      'if.0.name': 'lo',
      'if.0.addr.count': 1,
      'if.0.addr.0.type': 'ipv4',
      'if.0.addr.0.addr': '127.0.0.1',
      'if.0.addr.0.prefix': 8,
      'if.1.name': 'eth0',
      'if.1.hwaddr': '52:54:00:aa:bb:cc',
      'if.1.addr.count': 2,
      'if.1.addr.0.type': 'ipv4',
      'if.1.addr.0.addr': '192.168.150.10',
      'if.1.addr.0.prefix': 24,
      'if.1.addr.1.type': 'ipv6',
      'if.1.addr.1.addr': 'fe80::5054:ff:feaa:bbcc',
      'if.1.addr.1.prefix': 64,
    });
    expect(info).toEqual({
      users: [{ name: 'debian', domain: undefined, loginTime: 1733300000000 }],
      os: {
        id: 'debian',
        name: 'Debian GNU/Linux',
        prettyName: 'Debian GNU/Linux 12 (bookworm)',
        versionId: '12',
        kernelRelease: '6.1.0-50-amd64',
        machine: 'x86_64',
      },
      timezone: { name: 'UTC', offset: 0 },
      hostname: 'web-1',
      filesystems: [
        {
          mountpoint: '/',
          name: 'vda',
          type: 'ext4',
          totalBytes: 2_000_000_000,
          usedBytes: 900_000_000,
          disks: [{ alias: 'vda', device: '/dev/vda', serial: undefined }],
        },
      ],
      interfaces: [
        { name: 'lo', hwaddr: undefined, addrs: [{ type: 'ipv4', addr: '127.0.0.1', prefix: 8 }] },
        {
          name: 'eth0',
          hwaddr: '52:54:00:aa:bb:cc',
          addrs: [
            { type: 'ipv4', addr: '192.168.150.10', prefix: 24 },
            { type: 'ipv6', addr: 'fe80::5054:ff:feaa:bbcc', prefix: 64 },
          ],
        },
      ],
    });
  });

  it('leaves out what was not reported, and never trusts a count past 4096', () => {
    expect(parseGuestInfo({})).toEqual({});
    expect(parseGuestInfo({ 'fs.count': 1e9 }).filesystems).toHaveLength(4096);
    expect(parseGuestInfo({ 'user.count': -3 }).users).toEqual([]);
  });
});
