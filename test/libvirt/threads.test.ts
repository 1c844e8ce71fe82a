import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ErrorCode, LibvirtError, openConnection, type Connection, type TimeoutEvent } from '../../server/libvirt/index.js';
import { FIXTURE_URI, testDomainXml } from './test-driver.js';

const run = promisify(execFile);
const child = (name: string): string => fileURLToPath(new URL(`./children/${name}`, import.meta.url));

async function runChild(script: string, args: string[], env: Record<string, string> = {}, nodeFlags: string[] = []) {
  const started = Date.now();
  const { stdout } = await run(process.execPath, [...nodeFlags, '--import', 'tsx', child(script), ...args], {
    timeout: 20_000,
    env: { ...process.env, ...env },
  });
  return { stdout, ms: Date.now() - started };
}

describe('bulk listing and deadlines', () => {
  let conn: Connection;
  const bulkNames = Array.from({ length: 1000 }, (_, i) => `bulk-${String(i).padStart(4, '0')}`);

  beforeAll(async () => {
    conn = await openConnection(FIXTURE_URI);
    await Promise.all(bulkNames.map((name) => conn.defineDomain(testDomainXml(name))));
  });
  afterAll(async () => {
    const list = await conn.listAllDomains({ withXml: false });
    await Promise.all(list.filter((d) => d.name.startsWith('bulk-')).map((d) => d.domain.undefine()));
    await conn.close();
  });

  it('lists 1000 domains with XML in one native call without blocking the event loop', async () => {
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const listing = conn.listAllDomains();
    expect(conn.pendingCalls).toBe(1);
    const list = await listing;
    delay.disable();
    expect(list.length).toBe(1002);
    const bulk = list.filter((d) => d.name.startsWith('bulk-'));
    expect(bulk).toHaveLength(1000);
    expect(bulk.every((d) => d.xml.includes(`<name>${d.name}</name>`) && d.state === 'shutoff')).toBe(true);
    expect(delay.max / 1e6).toBeLessThan(50);
  });

  it('rejects with TIMEOUT and emits timeout when the deadline passes; the late result is discarded', async () => {
    const timeouts: TimeoutEvent[] = [];
    conn.on('timeout', (e) => timeouts.push(e));
    // Queued behind two full listings, the third cannot finish within 1 ms.
    const ahead = [conn.listAllDomains(), conn.listAllDomains()];
    const err = await conn.listAllDomains({ timeoutMs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    expect((err as LibvirtError).code).toBe(ErrorCode.TIMEOUT);
    expect((err as LibvirtError).codeName).toBe('TIMEOUT');
    expect((err as LibvirtError).message).toMatch(/listAllDomains .* did not complete within 1 ms/);
    expect(timeouts).toEqual([{ call: 'listAllDomains', timeoutMs: 1 }]);
    await Promise.all(ahead);
    // The abandoned job still ran; the connection keeps working.
    expect(await conn.getHostname()).toBeTruthy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(conn.pendingCalls).toBe(0);
  });

  it('uses the connection default deadline when none is given', async () => {
    const strict = await openConnection(FIXTURE_URI, { callTimeoutMs: 1 });
    try {
      await Promise.all(bulkNames.slice(0, 300).map((name) => strict.defineDomain(testDomainXml(name), { timeoutMs: 10_000 })));
      const calls = [strict.listAllDomains(), strict.listAllDomains(), strict.listAllDomains()];
      const results = await Promise.allSettled(calls);
      expect(results.some((r) => r.status === 'rejected' && (r.reason as LibvirtError).code === ErrorCode.TIMEOUT)).toBe(true);
      expect(await strict.getHostname({ timeoutMs: 5000 })).toBeTruthy();
    } finally {
      await strict.close();
    }
  });

  it('honours an abort signal', async () => {
    const controller = new AbortController();
    const pending = conn.listAllDomains({ signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ codeName: 'OPERATION_ABORTED' });
  });
});

describe('process lifetime', () => {
  it.each(['idle', 'events'])('a process with an open connection (%s) exits on its own', async (mode) => {
    const { stdout, ms } = await runChild('idle-connection.ts', [FIXTURE_URI, mode]);
    expect(stdout).toContain(`ready ${mode}`);
    expect(ms).toBeLessThan(15_000);
  });

  it('a forgotten connection is finalized without crashing and the process exits', async () => {
    const { stdout } = await runChild('idle-connection.ts', [FIXTURE_URI, 'forget'], {}, ['--expose-gc']);
    expect(stdout).toContain('ready forget');
    expect(stdout).toContain('collected');
  });

  it("libvirt calls never wait for libuv's thread pool", async () => {
    const { stdout } = await runChild('busy-threadpool.ts', [FIXTURE_URI], { UV_THREADPOOL_SIZE: '1' });
    const calls = /calls (\d+) poolDoneFirst=(\w+)/.exec(stdout);
    const pool = /pool (\d+)/.exec(stdout);
    expect(calls).not.toBeNull();
    expect(pool).not.toBeNull();
    // The calls finished while the only pool thread was still busy.
    expect(calls?.[2]).toBe('false');
    expect(Number(calls?.[1])).toBeLessThan(Number(pool?.[1]));
  });
});
