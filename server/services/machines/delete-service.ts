/**
 * Deleting a machine: power off, delete only its own volumes (`NAME_disk` and `NAME_config.iso` in
 * the root pool, and only when the domain really uses them), release its DHCP reservations, undefine.
 * Volumes of other pools and other machines' disks attached to it are left alone (0.6 deleted them).
 */
import type { HypervisorConfig } from '../../config/index.js';
import {
  DomainDestroyFlags,
  DomainXmlFlags,
  ErrorCode,
  LibvirtError,
  NetworkUpdateFlags,
  type Connection,
  type Domain,
  type StorageVolume,
} from '../../libvirt/index.js';
import type { Logger } from '../../core/log.js';
import { ServiceError } from '../../core/service-error.js';
import { dhcpHostXml, parseNetworkXml } from '../network/index.js';
import { diskSourcePath, parseDomainXml, type DomainFacts } from './domain-xml.js';
import { undefineDomain } from './create/undefine.js';

/**
 * The names a machine's root disk and config drive have: `NAME_disk` and `NAME_config.iso`, or
 * after a rebuild (which makes the new ones before it removes the old) `NAME_rebuilt_disk` and
 * `NAME_rebuilt_config.iso`, and back again at the next. No machine name holds "_", so none of
 * these can be another machine's.
 */
export function volumeGenerations(machineName: string): { disk: string; iso: string }[] {
  return [
    { disk: `${machineName}_disk`, iso: `${machineName}_config.iso` },
    { disk: `${machineName}_rebuilt_disk`, iso: `${machineName}_rebuilt_config.iso` },
  ];
}

/** The machine's own volume names, in the order they are deleted. */
export function ownVolumeNames(machineName: string): string[] {
  return volumeGenerations(machineName).flatMap((g) => [g.disk, g.iso]);
}

interface OwnVolume {
  name: string;
  path: string;
  volume: StorageVolume;
}

/** The machine's own volumes that it really uses (others named like them are left in place). */
async function ownVolumes(conn: Connection, hv: HypervisorConfig, facts: DomainFacts, logger: Logger): Promise<OwnVolume[]> {
  const used = new Set(facts.disks.map(diskSourcePath).filter((p) => p !== ''));
  const usedByPoolVolume = new Set(
    facts.disks.filter((d) => d.source.pool === hv.rootStoragePool && d.source.volume).map((d) => d.source.volume!),
  );
  const pool = await conn.lookupStoragePoolByName(hv.rootStoragePool);
  const volumes = await pool.listAllVolumes();
  const own: OwnVolume[] = [];
  for (const name of ownVolumeNames(facts.name)) {
    const entry = volumes.find((v) => v.name === name);
    if (!entry) continue;
    if (!used.has(entry.path) && !usedByPoolVolume.has(name)) {
      logger.warn({ hypervisor: hv.name, machine: facts.name, volume: name }, 'volume not used by the machine: left in place');
      continue;
    }
    own.push({ name, path: entry.path, volume: entry.volume });
  }
  return own;
}

/** Refuses the delete when another domain uses one of the machine's own volumes. */
async function refuseShared(
  conn: Connection,
  hv: HypervisorConfig,
  facts: DomainFacts,
  own: readonly OwnVolume[],
): Promise<void> {
  if (own.length === 0) return;
  const users = new Map<string, string[]>();
  for (const entry of await conn.listAllDomains({ withXml: true, xmlFlags: DomainXmlFlags.INACTIVE })) {
    if (entry.uuid === facts.uuid) continue;
    let other: DomainFacts;
    try {
      other = parseDomainXml(entry.xml);
    } catch {
      continue;
    }
    for (const volume of own) {
      const uses = other.disks.some(
        (d) => diskSourcePath(d) === volume.path || (d.source.pool === hv.rootStoragePool && d.source.volume === volume.name),
      );
      if (uses) users.set(volume.name, [...(users.get(volume.name) ?? []), other.name]);
    }
  }
  if (users.size === 0) return;
  const which = [...users].map(([volume, domains]) => `${volume} is also used by ${domains.join(', ')}`).join('; ');
  throw new ServiceError(
    'conflict',
    `cannot delete machine ${facts.name}: ${which}; detach it there first, or delete that machine`,
  );
}

async function deleteVolumes(own: readonly OwnVolume[]): Promise<void> {
  for (const { name, volume } of own) {
    try {
      await volume.delete();
    } catch (err) {
      if (err instanceof LibvirtError && err.code === ErrorCode.NO_STORAGE_VOL) continue;
      throw new Error(`failed to delete volume ${name}: ${(err as Error).message}`, { cause: err });
    }
  }
}

async function releaseAddresses(conn: Connection, hv: HypervisorConfig, facts: DomainFacts): Promise<void> {
  const macs = new Set(facts.interfaces.map((nic) => nic.mac.toLowerCase()).filter((mac) => mac !== ''));
  if (macs.size === 0) return;
  let network;
  try {
    network = await conn.lookupNetworkByName(hv.network);
  } catch (err) {
    if (err instanceof LibvirtError && err.code === ErrorCode.NO_NETWORK) return;
    throw err;
  }
  const hosts = parseNetworkXml(await network.getXmlDesc()).dhcp?.hosts ?? [];
  const flags = (await network.isActive())
    ? NetworkUpdateFlags.AFFECT_LIVE | NetworkUpdateFlags.AFFECT_CONFIG
    : NetworkUpdateFlags.AFFECT_CONFIG;
  for (const host of hosts) {
    if (!host.mac || !macs.has(host.mac.toLowerCase()) || !host.ip) continue;
    const xml = dhcpHostXml({ mac: host.mac, name: host.name || facts.name, ip: host.ip });
    try {
      await network.update('delete', 'ip-dhcp-host', xml, { flags });
    } catch (err) {
      throw new Error(`failed to release machine ip ${host.ip}: ${(err as Error).message}`, { cause: err });
    }
  }
}

/**
 * Stopping QEMU and releasing the addresses are both slow on the hypervisor and independent: they
 * run side by side. The volumes go once QEMU is gone, the definition last.
 */
export async function deleteDomain(conn: Connection, hv: HypervisorConfig, domain: Domain, logger: Logger): Promise<void> {
  const facts = parseDomainXml(await domain.getXmlDesc({ flags: DomainXmlFlags.INACTIVE }));
  const own = await ownVolumes(conn, hv, facts, logger);
  await refuseShared(conn, hv, facts, own);
  const results = await Promise.allSettled([
    (async () => {
      if (await domain.isActive()) await domain.destroy({ flags: DomainDestroyFlags.DEFAULT });
      await deleteVolumes(own);
    })(),
    releaseAddresses(conn, hv, facts),
  ]);
  for (const result of results) if (result.status === 'rejected') throw result.reason;
  await undefineDomain(domain);
  logger.info({ hypervisor: hv.name, machine: facts.name }, 'machine deleted');
}
