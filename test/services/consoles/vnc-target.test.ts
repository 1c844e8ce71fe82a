/** Where the panel connects for a guest's VNC display, from the live XML and the provider's URI. */
import { describe, expect, it } from 'vitest';
import { hostRouteOf } from '../../../server/hypervisors/display-channels.js';
import { vncTarget } from '../../../server/services/consoles/vnc-target.js';
import { parseDomainXml } from '../../../server/services/machines/domain-xml.js';

const domain = (graphics: string) =>
  parseDomainXml(
    `<domain type='kvm'><name>web</name><uuid>0f0e0d0c-0b0a-0908-0706-050403020100</uuid><devices>${graphics}</devices></domain>`,
  ).graphics;

describe('VNC targets', () => {
  const ssh = hostRouteOf('qemu+ssh://root@hv1.example:2222/system?keyfile=/k');
  const local = hostRouteOf('qemu:///system');
  const tcp = hostRouteOf('qemu+tcp://hv2.example/system');

  it('classifies provider URIs', () => {
    expect(ssh).toEqual({ via: 'ssh' });
    expect(hostRouteOf('qemu+libssh2://hv1/system')).toEqual({ via: 'ssh' });
    expect(local).toEqual({ via: 'local' });
    expect(hostRouteOf('qemu+unix:///system')).toEqual({ via: 'local' });
    expect(tcp).toEqual({ via: 'network', host: 'hv2.example' });
    expect(hostRouteOf('qemu+tls://[fd00::1]:16514/system')).toEqual({ via: 'network', host: 'fd00::1' });
  });

  it("reads 0.6's autoport on 127.0.0.1, unix sockets and wildcard listens", () => {
    const autoport = domain(
      `<graphics type='vnc' port='5903' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>`,
    );
    expect(vncTarget('web', 'A', autoport, ssh)).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 5903 });
    expect(vncTarget('web', 'A', autoport, local)).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 5903 });
    const socket = domain(
      `<graphics type='vnc' socket='/var/lib/libvirt/qemu/domain-1-web/vnc.sock'><listen type='socket' socket='/var/lib/libvirt/qemu/domain-1-web/vnc.sock'/></graphics>`,
    );
    expect(vncTarget('web', 'A', socket, ssh)).toEqual({ kind: 'unix', path: '/var/lib/libvirt/qemu/domain-1-web/vnc.sock' });
    const any = domain(`<graphics type='vnc' port='5900' autoport='yes' listen='0.0.0.0'/>`);
    expect(vncTarget('web', 'A', any, ssh)).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 5900 });
    expect(vncTarget('web', 'A', any, tcp)).toEqual({ kind: 'tcp', host: 'hv2.example', port: 5900 });
  });

  it('says why a display cannot be reached', () => {
    expect(() => vncTarget('web', 'A', domain(`<graphics type='spice' port='5900'/>`), ssh)).toThrow(/no VNC display/);
    expect(() => vncTarget('web', 'A', domain(`<graphics type='vnc' port='-1' autoport='yes'/>`), ssh)).toThrow(
      /no VNC port yet/,
    );
    expect(() => vncTarget('web', 'A', domain(`<graphics type='vnc' port='5901' listen='127.0.0.1'/>`), tcp)).toThrow(
      /qemu\+ssh/,
    );
    expect(() => vncTarget('web', 'A', domain(`<graphics type='vnc' socket='/s'/>`), tcp)).toThrow(/unix socket/);
  });
});
