/** Picking the address to reserve for a new machine in a libvirt DHCP network. */
import { formatIpv4, parseIpv4 } from '../../formats/ipv4.js';
import { isLeaseLive, sameMac, type DhcpLease } from './lease.js';
import type { NetworkFacts } from './network-xml.js';

export class NoFreeAddressError extends Error {
  override readonly name = 'NoFreeAddressError';
}

export interface ChooseAddressOptions {
  /** MAC of the machine the address is for: a live lease it already holds is no obstacle. */
  mac?: string;
}

/**
 * The first address of the network's DHCP range(s) that holds neither a `<host>` reservation nor a
 * live lease. Live leases count because dnsmasq refuses a reserved address to a new MAC while
 * another MAC's lease on it lives. The network's own address and its subnet's network and
 * broadcast addresses are never chosen.
 */
export function chooseFreeAddress(
  network: NetworkFacts,
  leases: readonly DhcpLease[],
  now: Date,
  options: ChooseAddressOptions = {},
): string {
  const dhcp = network.dhcp;
  if (!dhcp) {
    throw new NoFreeAddressError(
      `network ${network.name} has no IPv4 DHCP range; vmango reserves addresses only in a libvirt network ` +
        `with <ip address=… netmask=…><dhcp><range start=… end=…/></dhcp></ip>`,
    );
  }
  const ranges = dhcp.ranges
    .map((r) => ({ text: r, start: parseIpv4(r.start), end: parseIpv4(r.end) }))
    .filter(
      (r): r is { text: typeof r.text; start: number; end: number } =>
        r.start !== undefined && r.end !== undefined && r.start <= r.end,
    );
  if (ranges.length === 0) {
    throw new NoFreeAddressError(`network ${network.name} has no usable IPv4 DHCP range in its <ip address='${dhcp.address}'>`);
  }
  const inRange = (ip: number): boolean => ranges.some((r) => ip >= r.start && ip <= r.end);

  const reserved = new Set<number>();
  for (const host of dhcp.hosts) {
    const ip = host.ip === undefined ? undefined : parseIpv4(host.ip);
    if (ip !== undefined && inRange(ip)) reserved.add(ip);
  }
  const leased = new Set<number>();
  for (const lease of leases) {
    if (!isLeaseLive(lease, now) || sameMac(lease.mac, options.mac)) continue;
    const ip = parseIpv4(lease.ip);
    if (ip !== undefined && inRange(ip) && !reserved.has(ip)) leased.add(ip);
  }

  const never = new Set<number>();
  const own = parseIpv4(dhcp.address);
  if (own !== undefined) {
    never.add(own);
    if (dhcp.prefix !== undefined && dhcp.prefix <= 30) {
      const hostBits = 32 - dhcp.prefix;
      const base = own - (own % 2 ** hostBits);
      never.add(base);
      never.add(base + 2 ** hostBits - 1);
    }
  }

  for (const range of ranges) {
    for (let ip = range.start; ip <= range.end; ip++) {
      if (!reserved.has(ip) && !leased.has(ip) && !never.has(ip)) return formatIpv4(ip);
    }
  }
  const described = ranges.map((r) => `${r.text.start}–${r.text.end}`).join(', ');
  throw new NoFreeAddressError(
    `no free IP address in network ${network.name} (range ${described}: ${reserved.size} reserved, ${leased.size} leased)`,
  );
}
