/**
 * Where and as whom the panel reaches a hypervisor over SSH, read from its libvirt URI the way
 * libvirt's ssh transport reads it: `qemu+ssh://[user@]host[:port]/system?keyfile=…&no_verify=1`,
 * the user defaulting to the panel's own, the key to ~/.ssh's usual files, and the host key
 * checked against known_hosts unless no_verify=1. Undefined for URIs that are not ssh.
 */
import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface SshEndpoint {
  host: string;
  port: number;
  username: string;
  /** Private key files to try, in order (the URI's keyfile, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa). */
  keyFiles: string[];
  /** known_hosts files to check the host key against; empty with no_verify=1. */
  knownHosts: string[];
  verifyHostKey: boolean;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export function sshEndpointOf(uri: string): SshEndpoint | undefined {
  const match = /^[a-z0-9]+\+(?:ssh|libssh2?):\/\/([^/?#]*)[^?#]*(?:\?([^#]*))?/i.exec(uri);
  if (!match) return undefined;
  const authority = match[1] ?? '';
  const params = new URLSearchParams(match[2] ?? '');
  const at = authority.lastIndexOf('@');
  const username = at >= 0 ? decodeURIComponent(authority.slice(0, at).split(':')[0]!) : userInfo().username;
  const hostPort = at >= 0 ? authority.slice(at + 1) : authority;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort);
  const [host, portText] = bracketed ? [bracketed[1]!, bracketed[2]] : (hostPort.split(':') as [string, string | undefined]);
  const home = homedir();
  const keyfile = params.get('keyfile');
  const keyFiles = keyfile ? [keyfile] : DEFAULT_KEYS.map((name) => join(home, '.ssh', name)).filter((path) => existsSync(path));
  const verifyHostKey = params.get('no_verify') !== '1';
  const knownHosts = verifyHostKey
    ? [params.get('known_hosts') ?? join(home, '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'].filter((path) =>
        existsSync(path),
      )
    : [];
  return { host: host || 'localhost', port: portText ? Number(portText) : 22, username, keyFiles, knownHosts, verifyHostKey };
}
