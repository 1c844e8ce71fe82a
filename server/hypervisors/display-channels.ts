/**
 * Byte channels to a guest's display server (VNC) on a hypervisor host, the way the panel reaches
 * that host: through SSH with libvirt's own identity for `+ssh` URIs (ssh/ssh-tunnels.ts), directly
 * for local URIs (`qemu:///system`), and directly to the URI's host for `+tcp`/`+tls` ones.
 */
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../core/log.js';
import { sshEndpointOf } from './ssh/ssh-endpoint.js';
import { SshTunnels, TunnelError, type TunnelTarget } from './ssh/ssh-tunnels.js';

export { TunnelError, type TunnelTarget };

/** How the panel reaches services on the host of a libvirt URI. */
export type HostRoute = { via: 'ssh' } | { via: 'local' } | { via: 'network'; host: string };

export function hostRouteOf(uri: string): HostRoute {
  if (sshEndpointOf(uri)) return { via: 'ssh' };
  const authority = /^[a-z0-9+.-]+:\/\/([^/?#]*)/i.exec(uri)?.[1] ?? '';
  const host = authority
    .slice(authority.lastIndexOf('@') + 1)
    .replace(/:\d+$/, '')
    .replace(/^\[(.*)\]$/, '$1');
  return host === '' ? { via: 'local' } : { via: 'network', host };
}

export class DisplayChannels {
  private readonly tunnels: SshTunnels;

  constructor(logger: Logger) {
    this.tunnels = new SshTunnels(logger);
  }

  /** A channel to `target` on the host of hypervisor `name` (libvirt URI `uri`), within `timeoutMs`. */
  open(name: string, uri: string, target: TunnelTarget, timeoutMs: number): Promise<Duplex> {
    const endpoint = sshEndpointOf(uri);
    if (endpoint) return this.tunnels.open(name, endpoint, target, timeoutMs);
    return direct(target, timeoutMs);
  }

  close(): void {
    this.tunnels.close();
  }
}

function direct(target: TunnelTarget, timeoutMs: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket: Socket =
      target.kind === 'tcp' ? connect({ host: target.host, port: target.port }) : connect({ path: target.path });
    const where = target.kind === 'tcp' ? `${target.host}:${target.port}` : target.path;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TunnelError(`${where} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new TunnelError(`cannot connect to ${where}: ${err.message}`));
    });
  });
}
