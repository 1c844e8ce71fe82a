/**
 * Where a running guest's VNC server listens, as the panel can reach it: read from the live domain
 * XML (vmango 0.6's templates use autoport on 127.0.0.1, so the port is known only while it runs).
 */
import { ServiceError } from '../../core/service-error.js';
import type { HostRoute, TunnelTarget } from '../../hypervisors/display-channels.js';
import type { DomainGraphics } from '../machines/domain-xml.js';

const WILDCARDS = new Set(['0.0.0.0', '::', '']);
const LOOPBACK = /^(127\.|::1$|localhost$)/;

export function vncTarget(
  machine: string,
  provider: string,
  graphics: readonly DomainGraphics[],
  route: HostRoute,
): TunnelTarget {
  const vnc = graphics.find((g) => g.type === 'vnc');
  if (!vnc) {
    throw new ServiceError('bad-request', `machine ${machine} has no VNC display (its domain has no <graphics type='vnc'>)`);
  }
  if (vnc.socket) {
    if (route.via === 'network') {
      throw new ServiceError(
        'bad-request',
        `the VNC display of machine ${machine} listens on a unix socket of provider ${provider}'s host, which the panel reaches only through SSH or locally`,
      );
    }
    return { kind: 'unix', path: vnc.socket };
  }
  if (vnc.port === undefined) {
    throw new ServiceError('bad-request', `machine ${machine} has no VNC port yet; it gets one when it runs`);
  }
  const listen = vnc.listen ?? '';
  if (route.via === 'network') {
    if (LOOPBACK.test(listen)) {
      throw new ServiceError(
        'bad-request',
        `the VNC display of machine ${machine} listens on ${listen} of provider ${provider}'s host, reachable only from that host: use a qemu+ssh:// URL for the provider`,
      );
    }
    return { kind: 'tcp', host: WILDCARDS.has(listen) ? route.host : listen, port: vnc.port };
  }
  return { kind: 'tcp', host: WILDCARDS.has(listen) ? (listen === '::' ? '::1' : '127.0.0.1') : listen, port: vnc.port };
}
