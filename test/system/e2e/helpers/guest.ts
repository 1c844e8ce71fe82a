// Reaching a booted guest: its DHCP lease, then ssh with a freshly generated key.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runOk, sleep, type RunResult } from './run.js';
import { parseLeases, virsh, type Lease } from './virsh.js';

/** Polls `virsh net-dhcp-leases NETWORK --mac MAC` until the guest holds a lease. */
export async function waitForLease(uri: string, network: string, mac: string, timeoutMs: number): Promise<Lease> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lease = parseLeases(await virsh(uri, 'net-dhcp-leases', network, '--mac', mac)).find(
      (l) => l.mac === mac.toLowerCase(),
    );
    if (lease) return lease;
    if (Date.now() > deadline) throw new Error(`no DHCP lease for ${mac} on network ${network} after ${timeoutMs / 1000} s`);
    await sleep(2000);
  }
}

export interface SshKey {
  dir: string;
  privateKeyPath: string;
  publicKey: string;
  remove: () => Promise<void>;
}

/** A fresh ed25519 key pair in a private temporary directory. */
export async function generateSshKey(comment = 'vmango-e2e'): Promise<SshKey> {
  const dir = await mkdtemp(join(tmpdir(), 'vmango-e2e-key-'));
  const privateKeyPath = join(dir, 'id_ed25519');
  await runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', privateKeyPath]);
  const publicKey = (await readFile(`${privateKeyPath}.pub`, 'utf8')).trim();
  return { dir, privateKeyPath, publicKey, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface SshTarget {
  host: string;
  user: string;
  privateKeyPath: string;
}

function sshArgs(target: SshTarget, connectTimeoutSeconds: number): string[] {
  return [
    '-i',
    target.privateKeyPath,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'PasswordAuthentication=no',
    // Every guest has new host keys; nothing is remembered.
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    // ERROR hides ssh's notes about the throw-away host keys (and 'closed by remote host').
    '-o',
    'LogLevel=ERROR',
    '-o',
    `ConnectTimeout=${connectTimeoutSeconds}`,
    '-o',
    'ServerAliveInterval=10',
    `${target.user}@${target.host}`,
  ];
}

/** Runs a shell command on the guest; the result carries ssh's exit code (255: ssh itself failed). */
export function sshRun(target: SshTarget, command: string, timeoutMs = 120_000): Promise<RunResult> {
  return run('ssh', [...sshArgs(target, 10), '--', command], { timeoutMs });
}

/**
 * Like sshRun, but rejects unless the command exits 0; resolves with its stdout. When ssh itself
 * fails (exit 255: connection refused or closed, e.g. while cloud-init restarts sshd) the command
 * is run again, up to `retries` more times, so give it commands that may safely run twice.
 */
export async function sshOk(
  target: SshTarget,
  command: string,
  options: { timeoutMs?: number; retries?: number } = {},
): Promise<string> {
  let retries = options.retries ?? 3;
  for (;;) {
    const result = await sshRun(target, command, options.timeoutMs ?? 120_000);
    if (result.code === 0) return result.stdout;
    if (result.code !== 255 || retries-- <= 0) {
      throw new Error(
        `ssh ${target.user}@${target.host} '${command}' exited with ${result.code}: ${result.stderr.trim() || result.stdout.trim() || '(no output)'}`,
      );
    }
    await sleep(3000);
  }
}

/** Retries `ssh … true` until the guest lets the key in (sshd up and the key installed by cloud-init). */
export async function waitForSsh(target: SshTarget, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: RunResult | undefined;
  for (;;) {
    last = await run('ssh', [...sshArgs(target, 5), '--', 'true'], { timeoutMs: 30_000 });
    if (last.code === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `ssh ${target.user}@${target.host} did not succeed within ${timeoutMs / 1000} s; last error: ${last.stderr.trim()}`,
      );
    }
    await sleep(3000);
  }
}
