// Many calls at once over one connection, on the real hypervisor, with its ssh path frozen for a
// moment in the middle: the process must survive. libvirt's client before 10.3 (Debian 12: 9.0)
// corrupts memory when two threads call over one connection at once (CVE-2024-4418); the binding
// keeps every connection to one thread (native/side_pool.h). With the binding from before that
// change, this child died with SIGSEGV in 3 runs out of 3.
// Runs inside the harness namespace: scripts/harness/harness.sh exec npx vitest run test/libvirt
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { NetworkUpdateFlags } from '../../server/libvirt/index.js';
import { harnessCommand, requireHarness } from '../helpers/harness.js';
import { cleanupPrefix, rawConnection } from '../services/machines/harness-fixture.js';

const { env, skipReason } = requireHarness();
if (skipReason) console.warn(`skipping concurrent-calls test: ${skipReason}`);

const CHILD = fileURLToPath(new URL('./children/concurrent-calls.ts', import.meta.url));
const SECONDS = 20;

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runChild(args: string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

describe.skipIf(skipReason !== undefined)('one connection, many calls at once (real hypervisor over qemu+ssh)', () => {
  const prefix = `vmango-cc-${process.pid}`;

  // What a child that died left behind: its domains and its DHCP host entry.
  afterAll(async () => {
    await harnessCommand('unfreeze', '2');
    const conn = await rawConnection(env!);
    try {
      await cleanupPrefix(conn, env!, prefix);
      const network = await conn.lookupNetworkByName(env!.network);
      for (const host of (await network.getXmlDesc()).match(new RegExp(`<host [^>]*name='${prefix}-h'[^>]*/>`, 'g')) ?? []) {
        await network.update('delete', 'ip-dhcp-host', host, { flags: NetworkUpdateFlags.AFFECT_LIVE }).catch(() => undefined);
      }
    } finally {
      await conn.close();
    }
  }, 60_000);

  it('survives bulk listings, statistics, starts/destroys, network updates and lookups at once, across a 4 s freeze', async () => {
    const harness = env!;
    const running = runChild([harness.uri2, harness.domainType, harness.network, prefix, String(SECONDS)]);
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    expect((await harnessCommand('freeze', '2')).code).toBe(0);
    try {
      await new Promise((resolve) => setTimeout(resolve, 4_000));
    } finally {
      expect((await harnessCommand('unfreeze', '2')).code).toBe(0);
    }
    const result = await running;
    console.log(`child: exit ${result.code}, signal ${result.signal}; ${result.stdout.trim()}`);
    expect(result.signal, `child killed by a signal; stderr: ${result.stderr}`).toBeNull();
    expect(result.code, `stderr: ${result.stderr}`).toBe(0);
    const summary = JSON.parse(result.stdout.trim().split('\n').pop()!) as { calls: Record<string, number> };
    for (const kind of [
      'listAllDomains',
      'getAllDomainStats',
      'lookupDomainByUuid',
      'getState',
      'getHostname',
      'start/destroy',
      'networkUpdate',
    ]) {
      expect(summary.calls[kind], kind).toBeGreaterThan(0);
    }
  }, 90_000);
});
