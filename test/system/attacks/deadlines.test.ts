/**
 * Attack (issue 12): any call that missed its deadline made the connection manager tear the whole
 * hypervisor down. With 3-4 s deadlines on provider facts and a 2 s guest-agent address query, one
 * slow call (a guest whose agent never answers) flapped the provider for every user, and a create
 * in flight could then not roll back.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionManager, type HypervisorEndpoint } from '../../../server/hypervisors/connection-manager.js';
import { silentLogger } from '../../helpers/loggers.js';

/** A connection whose liveness probe answers while `alive` is true, and hangs otherwise. */
class ScriptedConnection extends EventEmitter {
  alive = true;
  probes = 0;
  async close(): Promise<void> {}
  getHostname(options?: { timeoutMs?: number }): Promise<string> {
    this.probes++;
    if (this.alive) return Promise.resolve('host');
    return new Promise((_resolve, reject) =>
      setTimeout(() => reject(new Error('getHostname did not complete')), options?.timeoutMs ?? 100),
    );
  }
  /** What the binding does when any call passes its deadline. */
  missDeadline(): void {
    this.emit('timeout', { call: 'domainInterfaceAddresses', timeoutMs: 2_000 });
  }
}

const endpoint: HypervisorEndpoint = {
  name: 'H',
  url: 'test:///scripted',
  keepaliveInterval: 5,
  keepaliveCount: 3,
  callTimeoutMs: 1_000,
  longCallTimeoutMs: 5_000,
};
const managers: ConnectionManager<ScriptedConnection>[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
});

async function connected(conn: ScriptedConnection) {
  const manager = new ConnectionManager<ScriptedConnection>([endpoint], {
    open: async () => conn,
    logger: silentLogger(),
    probeIntervalMs: 60_000,
    probeTimeoutMs: 100,
    probeRetryMs: 50,
  });
  managers.push(manager);
  manager.start();
  await manager.settled();
  expect(manager.status('H').state).toBe('connected');
  return manager;
}

describe('a missed deadline', () => {
  it('fails its call only: the hypervisor stays connected while it answers probes', async () => {
    const conn = new ScriptedConnection();
    const manager = await connected(conn);
    for (let i = 0; i < 5; i++) conn.missDeadline();
    await new Promise((r) => setTimeout(r, 300));
    expect(manager.status('H').state).toBe('connected');
    expect(manager.get('H')).toBe(conn);
    // It did make the manager look: a probe ran at once rather than in a minute.
    expect(conn.probes).toBeGreaterThanOrEqual(1);
  });

  it('when the host really stopped answering, probes failing in a row make it unavailable', async () => {
    const conn = new ScriptedConnection();
    const manager = await connected(conn);
    conn.alive = false;
    conn.missDeadline();
    await new Promise((r) => setTimeout(r, 600));
    expect(manager.status('H')).toMatchObject({
      state: 'unavailable',
      error: expect.stringMatching(/liveness probe failed 2 times in a row/),
    });
  });
});
