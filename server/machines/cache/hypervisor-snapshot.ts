/**
 * One bulk read of everything a machine list needs from a hypervisor: every domain with its state
 * and XML, the root pool's volumes (for disk sizes), the network's reservations and live leases.
 * A missing pool or network costs only the sizes or addresses, never the list.
 */
import type { HypervisorConfig } from '../../config/index.js';
import type { Connection, DomainListEntry, DhcpLease as LibvirtLease, StorageVolumeListEntry } from '../../libvirt/index.js';
import { isHypervisorLost } from '../../hypervisors/provider-errors.js';
import { parseNetworkXml, type DhcpLease, type NetworkFacts } from '../../network/index.js';

export interface NetworkView {
  facts?: NetworkFacts;
  leases: DhcpLease[];
}

export interface HypervisorSnapshot {
  domains: DomainListEntry[];
  /** Root pool volume capacity by path. */
  rootVolumeCapacity: Map<string, number>;
  network: NetworkView;
  /** Why a part (pool, network) could not be read; the list is still served. */
  problems: string[];
}

export function toLeases(leases: readonly LibvirtLease[]): DhcpLease[] {
  return leases
    .filter((l) => l.type === 'ipv4' && l.ipaddr !== null && l.mac !== null)
    .map((l) => ({ ip: l.ipaddr!, mac: l.mac!, expiry: l.expiryTime }));
}

/** Reads the network's XML and leases; throws only when the hypervisor itself is lost. */
export async function readNetworkView(conn: Connection, hv: HypervisorConfig, problems: string[]): Promise<NetworkView> {
  try {
    const network = await conn.lookupNetworkByName(hv.network);
    const [xml, leases] = await Promise.all([
      network.getXmlDesc(),
      network.getDhcpLeases().catch((err: unknown) => {
        if (isHypervisorLost(err)) throw err;
        problems.push(`cannot read DHCP leases of network ${hv.network}: ${(err as Error).message}`);
        return [];
      }),
    ]);
    return { facts: parseNetworkXml(xml), leases: toLeases(leases) };
  } catch (err) {
    if (isHypervisorLost(err)) throw err;
    problems.push(`cannot read network ${hv.network}: ${(err as Error).message}`);
    return { leases: [] };
  }
}

export async function readRootVolumes(conn: Connection, hv: HypervisorConfig, problems: string[]): Promise<StorageVolumeListEntry[]> {
  try {
    const pool = await conn.lookupStoragePoolByName(hv.rootStoragePool);
    return await pool.listAllVolumes();
  } catch (err) {
    if (isHypervisorLost(err)) throw err;
    problems.push(`cannot list volumes of root storage pool ${hv.rootStoragePool}: ${(err as Error).message}`);
    return [];
  }
}

export async function takeSnapshot(conn: Connection, hv: HypervisorConfig): Promise<HypervisorSnapshot> {
  const problems: string[] = [];
  const [domains, volumes, network] = await Promise.all([
    conn.listAllDomains({ withXml: true }),
    readRootVolumes(conn, hv, problems),
    readNetworkView(conn, hv, problems),
  ]);
  return {
    domains,
    rootVolumeCapacity: new Map(volumes.map((v) => [v.path, v.capacity])),
    network,
    problems,
  };
}
