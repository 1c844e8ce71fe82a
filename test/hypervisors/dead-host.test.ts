import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { silentLogger } from '../helpers/loggers.js';
import { ConnectionManager, type HypervisorEndpoint } from '../../server/hypervisors/connection-manager.js';
import type { Connection } from '../../server/libvirt/index.js';
import { harnessCommand, requireHarness } from '../helpers/harness.js';
import { openLibvirt } from './open.js';

// Real hypervisor: two ssh paths to one libvirtd; the harness freezes path 2 (DROP, so TCP hangs).
const { env, skipReason } = requireHarness();
if (skipReason) console.warn(`skipping dead-host tests: ${skipReason}`);

const silent = silentLogger();

/** The panel's production defaults: keepalive 5 s × 3, 15 s call deadline (tightened to 4 s here), probe every 5 s. */
function endpoint(name: string, url: string): HypervisorEndpoint {
  return { name, url, keepaliveInterval: 5, keepaliveCount: 3, callTimeoutMs: 4_000, longCallTimeoutMs: 60_000 };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe.skipIf(!env)('a dead hypervisor does not hold up the others (real libvirtd over qemu+ssh)', () => {
  let manager: ConnectionManager<Connection>;
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });

  beforeAll(async () => {
    await harnessCommand('unfreeze', '2');
    manager = new ConnectionManager<Connection>([endpoint('alive', env!.uri), endpoint('frozen', env!.uri2)], {
      open: openLibvirt,
      logger: silent,
    });
    manager.start();
    await manager.settled(30_000);
    expect(manager.status('alive')).toMatchObject({ state: 'connected' });
    expect(manager.status('frozen')).toMatchObject({ state: 'connected' });
    loopDelay.enable();
  });

  afterAll(async () => {
    loopDelay.disable();
    await harnessCommand('unfreeze', '2');
    await manager?.close();
  });

  it('keeps answering on one path while the other is frozen, reports it unavailable within 15 s, and recovers within 10 s', async () => {
    const frozenAt = Date.now();
    expect((await harnessCommand('freeze', '2')).code).toBe(0);

    // A call already heading to the frozen host must fail by its deadline, not hang.
    const frozenCall = manager
      .get('frozen')
      .listAllDomains()
      .then(
        () => 'answered',
        (err: Error) => err.message,
      );

    const latencies: number[] = [];
    let unavailableAfterMs: number | undefined;
    while (Date.now() - frozenAt < 16_000) {
      const started = performance.now();
      await manager.get('alive').listAllDomains();
      latencies.push(performance.now() - started);
      if (unavailableAfterMs === undefined && manager.status('frozen').state === 'unavailable')
        unavailableAfterMs = Date.now() - frozenAt;
      if (unavailableAfterMs !== undefined && Date.now() - frozenAt > unavailableAfterMs + 2_000) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const frozenOutcome = await frozenCall;
    console.log(`call on the frozen path: ${frozenOutcome}`);
    expect(frozenOutcome).toMatch(/did not complete within 4000 ms/);
    expect(unavailableAfterMs, 'frozen hypervisor reported unavailable').toBeDefined();
    expect(unavailableAfterMs!).toBeLessThanOrEqual(15_000);
    expect(manager.status('frozen').error).toBeTruthy();
    expect(() => manager.get('frozen')).toThrow(/hypervisor frozen is unavailable/);
    const p99 = percentile(latencies, 99);
    console.log(
      `alive path while the other was frozen: ${latencies.length} calls, p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; frozen reported unavailable after ${unavailableAfterMs} ms`,
    );
    expect(p99).toBeLessThan(100);

    const unfrozenAt = Date.now();
    expect((await harnessCommand('unfreeze', '2')).code).toBe(0);
    while (manager.status('frozen').state !== 'connected' && Date.now() - unfrozenAt < 12_000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const recoveredAfterMs = Date.now() - unfrozenAt;
    console.log(`frozen path recovered ${recoveredAfterMs} ms after unfreezing`);
    expect(manager.status('frozen').state).toBe('connected');
    expect(recoveredAfterMs).toBeLessThanOrEqual(10_000);
  }, 60_000);

  it('delivers domain events on the recovered connection', async () => {
    const events: { hypervisor: string; event: { kind?: string; domainName?: string; event?: string } }[] = [];
    manager.on('domainEvent', (hypervisor, event) => events.push({ hypervisor, event: event as never }));
    const name = `vmango-deadhost-${process.pid}`;
    const conn = manager.get('alive');
    const domain = await conn.defineDomain(
      `<domain type='${env!.domainType}'><name>${name}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><devices/></domain>`,
    );
    try {
      const deadline = Date.now() + 10_000;
      while (!events.some((e) => e.hypervisor === 'frozen' && e.event.domainName === name) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(events.find((e) => e.hypervisor === 'frozen' && e.event.domainName === name)?.event).toMatchObject({
        kind: 'lifecycle',
        event: 'defined',
      });
    } finally {
      await domain.undefine();
    }
  }, 30_000);

  // A call that waited for the frozen host on the event loop would pause it for its whole deadline
  // (4 s here); GC and a busy 2-core machine pause it for tens of ms (89 ms was seen in a
  // clean-clone run with guests booting beside it). So the bound sits between the two.
  it('never blocks the Node event loop on the dead host (no pause of 500 ms or more)', () => {
    const maxMs = loopDelay.max / 1e6;
    console.log(
      `event loop delay during the dead-host tests: max ${maxMs.toFixed(1)} ms, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms`,
    );
    expect(maxMs).toBeLessThan(500);
  });
});
