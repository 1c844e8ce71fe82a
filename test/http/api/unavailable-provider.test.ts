/**
 * A provider that was connected and then went away, as the API shows it. Found over HTTP on the
 * real hypervisor (routes-compat.harness.test.ts, with the harness freezing an ssh path); checked
 * here without the harness:
 * - GET /api/machines/ lists it with [] and flags it in Providers, as the README's API reference
 *   says (it used to list the machines it had when last seen, which only the dashboard shows);
 * - the reason given (its Providers `Error`, the text of its 503s) names libvirt's close reason:
 *   the binding emits 'closed' with `{ reason }` (server/libvirt/connection.ts), which the
 *   connection manager printed as "connection closed: [object Object]".
 */
import { EventStreams } from '../../../server/http/live/event-stream.js';
import { ApiAuthenticator } from '../../../server/services/auth/api-authenticator.js';
import { TokenVerifier } from '../../../server/services/auth/api-tokens.js';
import { EventEmitter } from 'node:events';
import { createAccessControl } from '../../../server/services/access/scoped-services.js';
import { createGuestService } from '../../../server/services/guest/guest-service.js';
import { createResizeService } from '../../../server/services/resize/resize-service.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApiRouter } from '../../../server/http/api/router.js';
import { ConnectionManager, type HypervisorEndpoint } from '../../../server/hypervisors/connection-manager.js';
import type { MachineService } from '../../../server/core/services.js';
import { silentLogger } from '../../helpers/loggers.js';
import { startAppServer } from './helpers.js';
import { authHeaders, startApiPanel } from './panel-fixture.js';

describe('GET /api/machines/ with a provider that is no longer connected', () => {
  let panel: Awaited<ReturnType<typeof startApiPanel>>;
  let app: Awaited<ReturnType<typeof startAppServer>>;
  let down = false;

  beforeAll(async () => {
    panel = await startApiPanel();
    // The real service on the demo hypervisor, except that DEMO is reported down when asked to
    // be: its last known machines come with it, as the service gives them to the dashboard.
    const service: MachineService = {
      ...panel.service,
      listMachines: async (filter) => {
        const result = await panel.service.listMachines(filter);
        if (!down) return result;
        return {
          machines: result.machines,
          providers: result.providers.map((p) =>
            p.name === 'DEMO' ? { ...p, state: 'unavailable' as const, error: 'connection closed: keepalive' } : p,
          ),
        };
      },
    };
    app = await startAppServer([
      createApiRouter({
        access: createAccessControl({
          config: panel.config,
          machines: service,
          consoles: panel.consoles,
          snapshots: panel.snapshots,
          resize: createResizeService({ config: panel.config, machines: panel.machines, logger: silentLogger() }),
          events: panel.events,
          guest: createGuestService({ machines: panel.machines, logger: silentLogger() }),
        }),
        config: panel.config,
        authenticator: new ApiAuthenticator(panel.guard, new TokenVerifier([])),
        tokens: new TokenVerifier([]),
        logger: silentLogger(),
        streams: new EventStreams(),
      }),
    ]);
  });
  afterAll(async () => {
    await app?.close();
    await panel?.close();
  });

  const list = async () =>
    (await fetch(`${app.base}/api/machines/`, { headers: authHeaders() })).json() as Promise<{
      Machines: Record<string, unknown[]>;
      Providers: Record<string, { State: string; Error: string }>;
    }>;

  it('lists it with [] and flags it, then lists its machines again once it is back', async () => {
    down = false;
    const before = await list();
    expect(before.Machines.DEMO!.length).toBe(3);
    down = true;
    const gone = await list();
    expect(gone.Machines).toEqual({ DEMO: [] });
    expect(gone.Providers.DEMO).toMatchObject({ State: 'unavailable', Error: 'connection closed: keepalive' });
    down = false;
    expect(await list()).toEqual(before);
  });
});

class FakeConnection extends EventEmitter {
  async close(): Promise<void> {}
  async getHostname(): Promise<string> {
    return 'fake';
  }
}

const endpoint: HypervisorEndpoint = {
  name: 'H',
  url: 'test:///fake',
  keepaliveInterval: 5,
  keepaliveCount: 3,
  callTimeoutMs: 5_000,
  longCallTimeoutMs: 60_000,
};
const managers: ConnectionManager<FakeConnection>[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
});

async function connected(): Promise<{ manager: ConnectionManager<FakeConnection>; conn: FakeConnection }> {
  const conn = new FakeConnection();
  const manager = new ConnectionManager<FakeConnection>([endpoint], {
    open: async () => conn,
    logger: silentLogger(),
    probeIntervalMs: 60_000,
    backoffInitialMs: 60_000,
    backoffMaxMs: 60_000,
  });
  managers.push(manager);
  manager.start();
  await manager.settled();
  expect(manager.status('H').state).toBe('connected');
  return { manager, conn };
}

describe('the reason given for a closed hypervisor connection', () => {
  it.each(['keepalive', 'eof', 'error', 'unknown'])(
    "names libvirt's close reason %s in words, not as an object",
    async (reason) => {
      const { manager, conn } = await connected();
      conn.emit('closed', { reason });
      expect(manager.status('H')).toMatchObject({ state: 'unavailable', error: `connection closed: ${reason}` });
      expect(() => manager.get('H')).toThrow(`hypervisor H is unavailable: connection closed: ${reason} (since `);
    },
  );

  it('says just "connection closed" when no reason comes with the event', async () => {
    const { manager, conn } = await connected();
    conn.emit('closed');
    expect(manager.status('H')).toMatchObject({ state: 'unavailable', error: 'connection closed' });
  });
});
