// The sweeper's cost on the hypervisor's one connection, where calls run one at a time: with no
// marks it asks for volume names only (never the full listing with every volume's sizes and XML,
// seconds on a pool of thousands), and the periodic sweep reads no domain definitions at all.
// On libvirt's test driver with the demo hypervisor; the harness tests prove what it removes.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Connection, openConnection, StoragePool } from '../../../server/libvirt/index.js';
import { sweepHypervisor } from '../../../server/services/machines/sweeper.js';
import { capturingLogger, demoHypervisor, serviceConfig } from './setup.js';

describe('a sweep of a hypervisor without marks', () => {
  const hv = serviceConfig([demoHypervisor()]).hypervisors[0]!;
  let conn: Connection;
  const options = (reportOrphans: boolean) => ({
    logger: capturingLogger().logger,
    isBusy: () => false,
    staleAfterMs: 0,
    firstSeen: new Map<string, number>(),
    reportOrphans,
  });

  beforeAll(async () => {
    conn = await openConnection(hv.url);
  });
  afterAll(async () => {
    await conn.close();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('lists volume names only, and the periodic sweep no domain definitions', async () => {
    const fullListing = vi.spyOn(StoragePool.prototype, 'listAllVolumes');
    const names = vi.spyOn(StoragePool.prototype, 'listVolumeNames');
    const domains = vi.spyOn(Connection.prototype, 'listAllDomains');
    const report = await sweepHypervisor(conn, hv, options(false));
    expect(report).toEqual({ removed: [], waiting: [], orphanReservations: [] });
    expect(names).toHaveBeenCalledTimes(1);
    expect(fullListing).not.toHaveBeenCalled();
    expect(domains).not.toHaveBeenCalled();
  });

  it('reads the definitions once for the reservation report (the sweep on connect)', async () => {
    const domains = vi.spyOn(Connection.prototype, 'listAllDomains');
    const fullListing = vi.spyOn(StoragePool.prototype, 'listAllVolumes');
    await sweepHypervisor(conn, hv, options(true));
    expect(domains).toHaveBeenCalledTimes(1);
    expect(fullListing).not.toHaveBeenCalled();
  });
});
