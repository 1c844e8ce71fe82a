// Fills a harness hypervisor with many vmango machines fast (defined straight through the libvirt
// binding, not through the panel), and removes everything named with a bench prefix again.
import { buildMetadata } from '../../server/services/machines/metadata.js';
import { dhcpHostXml } from '../../server/services/network/dhcp-host.js';
import { parseNetworkXml } from '../../server/services/network/index.js';
import { NetworkUpdateFlags, type Connection, type StoragePool } from '../../server/libvirt/index.js';

export interface PopulationTarget {
  conn: Connection;
  rootPool: string;
  network: string;
  domainType: string;
  imageId: string;
}

/** A MAC address unique per (pid, index), in QEMU's 52:54:00 range. */
export function benchMac(index: number): string {
  const n = ((process.pid & 0xff) << 16) | (index & 0xffff);
  const bytes = [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  return `52:54:00:${bytes.map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}

function domainXml(target: PopulationTarget, name: string, diskPath: string, mac: string): string {
  const metadata = buildMetadata({
    imageId: target.imageId,
    os: 'Cirros-0.6',
    creator: 'bench',
    plan: 'bench',
    sshKeys: [],
    userdata: '\n',
  }).xml;
  return `<domain type='${target.domainType}'>
  <name>${name}</name>
  <metadata>
    ${metadata}
  </metadata>
  <memory unit='MiB'>128</memory>
  <currentMemory unit='MiB'>128</currentMemory>
  <vcpu placement='static'>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='${diskPath}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <mac address='${mac}'/>
      <source network='${target.network}'/>
      <model type='virtio'/>
    </interface>
  </devices>
</domain>`;
}

async function inBatches<T>(items: readonly T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

/** Defines `names.length` stopped machines, each with a 1 MiB raw `NAME_disk` volume in the root pool. */
export async function populate(target: PopulationTarget, names: readonly string[], firstIndex: number): Promise<void> {
  const pool: StoragePool = await target.conn.lookupStoragePoolByName(target.rootPool);
  await inBatches(
    names.map((name, i) => ({ name, index: firstIndex + i })),
    25,
    async ({ name, index }) => {
      const volume = await pool.createVolume(
        `<volume><name>${name}_disk</name><capacity unit='M'>1</capacity><target><format type='raw'/></target></volume>`,
      );
      await target.conn.defineDomain(domainXml(target, name, await volume.getPath(), benchMac(index)));
    },
  );
}

/** Undefines the named machines and deletes their `NAME_disk` volumes. */
export async function depopulate(target: PopulationTarget, names: readonly string[]): Promise<void> {
  const pool = await target.conn.lookupStoragePoolByName(target.rootPool);
  await inBatches(names, 25, async (name) => {
    const domain = await target.conn.lookupDomainByName(name);
    await domain.undefine({ flags: 1 | 2 });
    await (await pool.lookupVolumeByName(`${name}_disk`)).delete();
  });
}

/**
 * Removes everything whose name starts with `prefix`: domains (stopped first), their volumes in the
 * root pool, and DHCP host entries in the network. Never throws; returns what it removed.
 */
export async function removeByPrefix(
  target: PopulationTarget,
  prefix: string,
): Promise<{ domains: number; volumes: number; hosts: number; errors: string[] }> {
  const removed = { domains: 0, volumes: 0, hosts: 0, errors: [] as string[] };
  const note =
    (what: string) =>
    (err: unknown): void => {
      removed.errors.push(`${what}: ${(err as Error).message}`);
    };
  try {
    const ours = (await target.conn.listAllDomains({ withXml: false })).filter((d) => d.name.startsWith(prefix));
    await inBatches(ours, 25, async (entry) => {
      if (await entry.domain.isActive().catch(() => false)) await entry.domain.destroy().catch(note(`destroy ${entry.name}`));
      await entry.domain.undefine({ flags: 1 | 2 }).then(() => removed.domains++, note(`undefine ${entry.name}`));
    });
  } catch (err) {
    note('list domains')(err);
  }
  try {
    const pool = await target.conn.lookupStoragePoolByName(target.rootPool);
    await pool.refresh().catch(() => undefined);
    const volumes = (await pool.listAllVolumes()).filter((v) => v.name.startsWith(prefix));
    await inBatches(volumes, 25, (v) => v.volume.delete().then(() => removed.volumes++, note(`delete volume ${v.name}`)));
  } catch (err) {
    note('list volumes')(err);
  }
  try {
    const network = await target.conn.lookupNetworkByName(target.network);
    const hosts = parseNetworkXml(await network.getXmlDesc()).dhcp?.hosts ?? [];
    const flags = (await network.isActive())
      ? NetworkUpdateFlags.AFFECT_LIVE | NetworkUpdateFlags.AFFECT_CONFIG
      : NetworkUpdateFlags.AFFECT_CONFIG;
    for (const host of hosts) {
      if (!host.name?.startsWith(prefix) || !host.mac || !host.ip) continue;
      await network
        .update('delete', 'ip-dhcp-host', dhcpHostXml({ mac: host.mac, name: host.name, ip: host.ip }), { flags })
        .then(() => removed.hosts++, note(`delete DHCP host ${host.name}`));
    }
  } catch (err) {
    note('DHCP hosts')(err);
  }
  return removed;
}
