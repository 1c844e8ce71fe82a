/**
 * Channels to services on a hypervisor (a guest's VNC server) through SSH, with the identity
 * libvirt uses for that hypervisor (ssh-endpoint.ts). One SSH client per hypervisor, kept while
 * it works, each channel a direct-tcpip or streamlocal forward: nothing but sshd is needed on the
 * host. A client that fails or closes is dropped and made again for the next channel.
 */
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import type { Logger } from '../../core/log.js';
import { checkHostKey } from './known-hosts.js';
import type { SshEndpoint } from './ssh-endpoint.js';

export type TunnelTarget = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export class TunnelError extends Error {
  override readonly name = 'TunnelError';
}

interface Entry {
  client: Client;
  ready: Promise<Client>;
}

export class SshTunnels {
  private readonly clients = new Map<string, Entry>();

  constructor(private readonly logger: Logger) {}

  /** A channel to `target` on the hypervisor `name`, within `timeoutMs`. */
  async open(name: string, endpoint: SshEndpoint, target: TunnelTarget, timeoutMs: number): Promise<Duplex> {
    const client = await this.client(name, endpoint, timeoutMs);
    return new Promise<Duplex>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new TunnelError(`the SSH channel to ${describe(target)} did not open within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const done = (err: Error | undefined, channel: ClientChannel): void => {
        clearTimeout(timer);
        if (err) reject(new TunnelError(`cannot reach ${describe(target)} through SSH to ${endpoint.host}: ${err.message}`));
        else resolve(channel);
      };
      if (target.kind === 'tcp') client.forwardOut('127.0.0.1', 0, target.host, target.port, done);
      else client.openssh_forwardOutStreamLocal(target.path, done);
    });
  }

  close(): void {
    for (const { client } of this.clients.values()) client.end();
    this.clients.clear();
  }

  private client(name: string, endpoint: SshEndpoint, timeoutMs: number): Promise<Client> {
    const existing = this.clients.get(name);
    if (existing) return existing.ready;
    const client = new Client();
    const forget = (): void => {
      if (this.clients.get(name)?.client === client) this.clients.delete(name);
    };
    const ready = new Promise<Client>((resolve, reject) => {
      client.once('ready', () => resolve(client));
      client.once('error', (err) => {
        forget();
        reject(new TunnelError(`SSH to ${endpoint.username}@${endpoint.host}:${endpoint.port} failed: ${err.message}`));
      });
      client.once('close', forget);
      let config: ConnectConfig;
      try {
        config = this.config(endpoint, timeoutMs);
      } catch (err) {
        forget();
        reject(err);
        return;
      }
      client.connect(config);
    });
    client.on('error', (err) => this.logger.warn({ hypervisor: name, error: err.message }, 'SSH client for consoles failed'));
    this.clients.set(name, { client, ready });
    return ready;
  }

  private config(endpoint: SshEndpoint, timeoutMs: number): ConnectConfig {
    const keyFile = endpoint.keyFiles[0];
    if (!keyFile && !process.env.SSH_AUTH_SOCK) {
      throw new TunnelError(`no SSH key for ${endpoint.host}: give keyfile= in the hypervisor's URL, or put a key in ~/.ssh`);
    }
    return {
      host: endpoint.host,
      port: endpoint.port,
      username: endpoint.username,
      ...(keyFile ? { privateKey: readFileSync(keyFile) } : {}),
      ...(process.env.SSH_AUTH_SOCK ? { agent: process.env.SSH_AUTH_SOCK } : {}),
      readyTimeout: timeoutMs,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        if (!endpoint.verifyHostKey) return true;
        const verdict = checkHostKey(endpoint.knownHosts, endpoint.host, endpoint.port, key);
        if (verdict !== 'known') {
          this.logger.error(
            { host: endpoint.host, port: endpoint.port, verdict },
            'SSH host key not accepted for consoles (known_hosts)',
          );
        }
        return verdict === 'known';
      },
    };
  }
}

function describe(target: TunnelTarget): string {
  return target.kind === 'tcp' ? `${target.host}:${target.port}` : target.path;
}
