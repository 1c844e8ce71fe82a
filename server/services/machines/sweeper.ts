/**
 * Cleans up what interrupted creates left on a hypervisor (the panel was killed, the host froze
 * mid-create, a rollback step failed). It runs when a hypervisor connects and every few minutes,
 * and removes, logging each removal:
 * - for every stale create mark (`NAME_creating`, create-mark.ts) whose create is not running here:
 *   the domain NAME if it is vmango's and never ran (still shut off), else NAME_disk and
 *   NAME_config.iso when no domain uses them, and reservations named NAME whose MAC is on no
 *   domain; then the mark;
 * - for every stale rebuild mark (`NAME_rebuilding`): whichever of NAME's disks and config drives
 *   (both name generations) no domain uses, then the mark.
 * Reservations whose MAC belongs to no domain but that no mark names are reported, not removed:
 * nothing tells a reservation vmango made (for a machine later undefined outside the panel) from
 * one an administrator keeps for a host of their own.
 * A mark is stale once older than the longest a create may take (staleMarkMs): a younger one may be
 * another replica's create in progress.
 */
import type { HypervisorConfig } from '../../config/index.js';
import type { Logger } from '../../core/log.js';
import { path, parseXmlRoot } from '../../formats/xml/tree.js';
import { DomainXmlFlags, ErrorCode, NetworkUpdateFlags, type Connection } from '../../libvirt/index.js';
import { dhcpHostXml, parseNetworkXml } from '../network/index.js';
import { creationMarkName, markedMachine, rebuildMarkedMachine } from './create/creation-mark.js';
import { deleteDomain, ownVolumeNames } from './delete-service.js';
import { ignoringMissing, orMissing } from './ignoring-missing.js';
import { diskSourcePath, parseDomainXml, type DomainFacts } from './domain-xml.js';

export interface SweepOptions {
  logger: Logger;
  /** True while this panel is creating or changing that machine (its lock is held). */
  isBusy: (machineName: string) => boolean;
  /** Marks younger than this are left alone. */
  staleAfterMs: number;
  /** When marks without timestamps (LVM pools) were first seen, kept between sweeps. */
  firstSeen: Map<string, number>;
  /** Look for reservations whose MAC is on no domain (default true; the periodic sweep leaves it to the one on connect). */
  reportOrphans?: boolean;
  now?: () => number;
}

export interface SweepReport {
  removed: string[];
  /** Marks left because they are young or their create is running. */
  waiting: string[];
  /** Reservations whose MAC is on no domain, left alone (see above). */
  orphanReservations: string[];
}

interface InUse {
  domains: { facts: DomainFacts; state: string; entry: Awaited<ReturnType<Connection['listAllDomains']>>[number] }[];
  /** Disk source paths and MACs some domain's definition names. */
  paths: Set<string>;
  macs: Set<string>;
}

async function readInUse(conn: Connection): Promise<InUse> {
  const domains: InUse['domains'] = [];
  for (const entry of await conn.listAllDomains({ withXml: true, xmlFlags: DomainXmlFlags.INACTIVE })) {
    try {
      domains.push({ facts: parseDomainXml(entry.xml), state: entry.state, entry });
    } catch {
      // a domain whose XML cannot be read uses nothing we could tell
    }
  }
  return {
    domains,
    paths: new Set(domains.flatMap((d) => d.facts.disks.map(diskSourcePath)).filter((p) => p !== '')),
    macs: new Set(domains.flatMap((d) => d.facts.interfaces.map((nic) => nic.mac.toLowerCase())).filter((m) => m !== '')),
  };
}

function ctimeMs(volumeXml: string): number | undefined {
  try {
    const ctime = path(parseXmlRoot(volumeXml, 'storage volume XML', 'volume'), 'target', 'timestamps', 'ctime')?.text.trim();
    const seconds = ctime ? Number(ctime.split('.')[0]) : NaN;
    return Number.isFinite(seconds) ? seconds * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export async function sweepHypervisor(conn: Connection, hv: HypervisorConfig, options: SweepOptions): Promise<SweepReport> {
  const now = (options.now ?? Date.now)();
  const report: SweepReport = { removed: [], waiting: [], orphanReservations: [] };
  const log = (what: string, details: Record<string, unknown> = {}): void => {
    report.removed.push(what);
    options.logger.warn({ hypervisor: hv.name, removed: what, ...details }, 'sweeper: removed what an interrupted create left');
  };

  // Every domain's definition, read once and only when a stale mark or the reservation report
  // needs it (a listing with XML of a thousand domains holds the connection for half a second).
  let listing: Promise<InUse> | undefined;
  const inUse = (): Promise<InUse> => (listing ??= readInUse(conn));

  const pool = await conn.lookupStoragePoolByName(hv.rootStoragePool);
  // Names only: the full listing (every volume's sizes and XML) takes seconds on a pool of
  // thousands, and it would hold up every other call on this connection while it runs. Only the
  // marks' XML (their time) and the candidates' paths are asked for.
  const volumes = await pool.listVolumeNames();
  const unused = async (volumeName: string) => {
    const volume = volumes.find((v) => v.name === volumeName);
    if (!volume) return undefined;
    const volumePath = await orMissing(volume.volume.getPath(), ErrorCode.NO_STORAGE_VOL);
    return volumePath === undefined || (await inUse()).paths.has(volumePath) ? undefined : volume;
  };
  const markTime = async (mark: (typeof volumes)[number]) =>
    ctimeMs((await orMissing(mark.volume.getXmlDesc(), ErrorCode.NO_STORAGE_VOL)) ?? '');
  const network = await conn.lookupNetworkByName(hv.network).catch(() => undefined);
  const updateFlags = async (): Promise<number> =>
    network && (await network.isActive())
      ? NetworkUpdateFlags.AFFECT_LIVE | NetworkUpdateFlags.AFFECT_CONFIG
      : NetworkUpdateFlags.AFFECT_CONFIG;
  const hosts = async () => (network ? (parseNetworkXml(await network.getXmlDesc()).dhcp?.hosts ?? []) : []);

  const seenMarks = new Set<string>();
  for (const mark of volumes) {
    const name = markedMachine(mark.name);
    if (name === undefined) continue;
    const key = `${hv.name}\u0000${mark.name}`;
    seenMarks.add(key);
    if (!options.firstSeen.has(key)) options.firstSeen.set(key, now);
    const since = (await markTime(mark)) ?? options.firstSeen.get(key)!;
    if (options.isBusy(name) || now - since < options.staleAfterMs) {
      report.waiting.push(mark.name);
      continue;
    }
    const domain = (await inUse()).domains.find((d) => d.facts.name === name);
    if (domain) {
      // Defined but never started: the create stopped before its end. Anything else is a machine.
      if (domain.facts.metadata && domain.state === 'shutoff') {
        await deleteDomain(conn, hv, domain.entry.domain, options.logger);
        log(`domain ${name}`, { uuid: domain.facts.uuid });
      }
    } else {
      for (const volumeName of ownVolumeNames(name)) {
        const volume = await unused(volumeName);
        if (!volume) continue;
        await ignoringMissing(volume.volume.delete(), ErrorCode.NO_STORAGE_VOL);
        log(`volume ${volumeName}`);
      }
      for (const host of await hosts()) {
        if (host.name !== name || !host.mac || !host.ip || (await inUse()).macs.has(host.mac.toLowerCase())) continue;
        await network!.update('delete', 'ip-dhcp-host', dhcpHostXml({ mac: host.mac, name: host.name, ip: host.ip }), {
          flags: await updateFlags(),
        });
        log(`reservation ${host.ip} (${host.mac}) in network ${hv.network}`);
      }
    }
    await ignoringMissing(mark.volume.delete(), ErrorCode.NO_STORAGE_VOL);
    log(`volume ${creationMarkName(name)}`);
  }
  // A rebuild's leftovers: whichever disk and config drive of the machine no domain uses.
  for (const mark of volumes) {
    const name = rebuildMarkedMachine(mark.name);
    if (name === undefined) continue;
    const key = `${hv.name}\u0000${mark.name}`;
    seenMarks.add(key);
    if (!options.firstSeen.has(key)) options.firstSeen.set(key, now);
    const since = (await markTime(mark)) ?? options.firstSeen.get(key)!;
    if (options.isBusy(name) || now - since < options.staleAfterMs) {
      report.waiting.push(mark.name);
      continue;
    }
    for (const volumeName of ownVolumeNames(name)) {
      const volume = await unused(volumeName);
      if (!volume) continue;
      await ignoringMissing(volume.volume.delete(), ErrorCode.NO_STORAGE_VOL);
      log(`volume ${volumeName}`);
    }
    await ignoringMissing(mark.volume.delete(), ErrorCode.NO_STORAGE_VOL);
    log(`volume ${mark.name}`);
  }
  for (const key of options.firstSeen.keys())
    if (key.startsWith(`${hv.name}\u0000`) && !seenMarks.has(key)) options.firstSeen.delete(key);

  if (options.reportOrphans === false) return report;
  for (const host of await hosts()) {
    if (!host.mac || (await inUse()).macs.has(host.mac.toLowerCase()) || (host.name && options.isBusy(host.name))) continue;
    report.orphanReservations.push(`${host.ip ?? '?'} (${host.mac}${host.name ? `, ${host.name}` : ''})`);
  }
  if (report.orphanReservations.length > 0) {
    options.logger.info(
      { hypervisor: hv.name, network: hv.network, reservations: report.orphanReservations },
      'sweeper: reservations whose MAC is on no domain, left alone (remove them with virsh net-update if they are not yours)',
    );
  }
  return report;
}
