/**
 * One bulk read of everything a machine list needs from a hypervisor: every domain with its state
 * and XML, the root pool's volumes (for disk sizes), the network's reservations and live leases.
 * A missing pool or network costs only the sizes or addresses, never the list.
 *
 * Disk sizes: listing a pool's volumes with their sizes costs three round trips per volume, so for
 * pools whose volume paths are `<target><path>/NAME` (dir, fs, netfs, logical) the snapshot lists
 * only the names (one call) and takes the capacities from the domains' block statistics (one call;
 * libvirt reads the same image headers); a pool volume the statistics lack is asked for alone
 * (fillRootDiskSizes).
 */
import type { HypervisorConfig } from '../../../config/index.js';
import {
  DomainStatsTypes,
  type Connection,
  type DomainListEntry,
  type DomainStats,
  type DhcpLease as LibvirtLease,
} from '../../../libvirt/index.js';
import { isHypervisorLost } from '../../../hypervisors/provider-errors.js';
import { parseNetworkXml, type DhcpLease, type NetworkFacts } from '../../network/index.js';
import { attr, child, parseXmlRoot } from '../../../formats/xml/tree.js';
import type { Machine } from '../../../core/machine.js';

export interface NetworkView {
  facts?: NetworkFacts;
  leases: DhcpLease[];
}

export interface HypervisorSnapshot {
  domains: DomainListEntry[];
  /** Root pool volume capacity by path. */
  rootVolumeCapacity: Map<string, number>;
  /** Paths of the root pool's volumes when their capacities were not all listed (see fillRootDiskSizes). */
  rootVolumePaths?: ReadonlySet<string>;
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

/** Pool types whose volumes are at `<target><path>/NAME` (libvirt's storage backends). */
const PATH_BY_NAME_POOLS = new Set(['dir', 'fs', 'netfs', 'logical']);

type RootPoolView = { capacity: Map<string, number> } | { paths: Set<string> };

/** The root pool's volume paths (one call for the names) or, for other pool types, the full listing. */
async function readRootPool(conn: Connection, hv: HypervisorConfig, problems: string[]): Promise<RootPoolView> {
  let pool;
  let xml: string;
  try {
    pool = await conn.lookupStoragePoolByName(hv.rootStoragePool);
    xml = await pool.getXmlDesc();
  } catch (err) {
    if (isHypervisorLost(err)) throw err;
    problems.push(`cannot list volumes of root storage pool ${hv.rootStoragePool}: ${(err as Error).message}`);
    return { capacity: new Map() };
  }
  let target: string | undefined;
  try {
    const root = parseXmlRoot(xml, 'storage pool XML', 'pool');
    if (PATH_BY_NAME_POOLS.has(attr(root, 'type') ?? '')) target = child(child(root, 'target'), 'path')?.text.trim();
  } catch {
    target = undefined;
  }
  try {
    if (!target) return { capacity: new Map((await pool.listAllVolumes()).map((v) => [v.path, v.capacity])) };
    const dir = target.endsWith('/') ? target : `${target}/`;
    return { paths: new Set((await pool.listVolumeNames()).map((v) => dir + v.name)) };
  } catch (err) {
    if (isHypervisorLost(err)) throw err;
    problems.push(`cannot list volumes of root storage pool ${hv.rootStoragePool}: ${(err as Error).message}`);
    return { capacity: new Map() };
  }
}

/** Block statistics of every domain (disk paths and capacities); none when the driver has none. */
async function readBlockStats(conn: Connection): Promise<DomainStats[]> {
  try {
    return await conn.getAllDomainStats({ stats: DomainStatsTypes.BLOCK });
  } catch (err) {
    if (isHypervisorLost(err)) throw err;
    return [];
  }
}

export async function takeSnapshot(conn: Connection, hv: HypervisorConfig): Promise<HypervisorSnapshot> {
  const problems: string[] = [];
  const [domains, pool, stats, network] = await Promise.all([
    conn.listAllDomains({ withXml: true }),
    readRootPool(conn, hv, problems),
    readBlockStats(conn),
    readNetworkView(conn, hv, problems),
  ]);
  if ('capacity' in pool) return { domains, rootVolumeCapacity: pool.capacity, network, problems };
  const rootVolumeCapacity = new Map<string, number>();
  for (const record of stats) {
    for (const block of record.blocks) {
      if (block.path !== undefined && block.capacity !== undefined && pool.paths.has(block.path)) {
        rootVolumeCapacity.set(block.path, block.capacity);
      }
    }
  }
  return { domains, rootVolumeCapacity, rootVolumePaths: pool.paths, network, problems };
}

/**
 * Sizes of root disks in the root pool that the block statistics did not give (a driver without
 * them, a disk libvirt could not read there): asked of the volume itself, as a full listing would.
 */
export async function fillRootDiskSizes(
  conn: Connection,
  snapshot: HypervisorSnapshot,
  machines: readonly Machine[],
): Promise<void> {
  const paths = snapshot.rootVolumePaths;
  if (!paths) return;
  await Promise.all(
    machines.map(async (machine) => {
      const disk = machine.rootDisk;
      if (!disk || disk.sizeBytes !== undefined || !paths.has(disk.path)) return;
      try {
        disk.sizeBytes = (await (await conn.lookupStorageVolumeByPath(disk.path)).getInfo()).capacity;
      } catch (err) {
        if (isHypervisorLost(err)) throw err;
      }
    }),
  );
}
