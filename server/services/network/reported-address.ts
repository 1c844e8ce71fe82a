/** Which address the panel shows for a machine. */
import type { MachineIp } from '../../core/machine.js';
import { parseIpv4 } from '../../formats/ipv4.js';
import { isLeaseLive, sameMac, type DhcpLease } from './lease.js';
import type { NetworkFacts } from './network-xml.js';

/** One interface as virDomainInterfaceAddresses(source=agent) reports it. */
export interface AgentInterface {
  hwaddr?: string;
  addrs: { addr: string; type: 'ipv4' | 'ipv6' }[];
}

export interface ReportedAddressInput {
  /** MAC of the machine's first interface. */
  mac: string;
  network?: NetworkFacts;
  leases: readonly DhcpLease[];
  now: Date;
  agentInterfaces?: readonly AgentInterface[];
}

/**
 * The address the guest really has, as best known: its live DHCP lease (the newest if several),
 * else its reservation in the network, else an IPv4 address its guest agent reports for that MAC.
 * 0.6 showed only the reservation.
 */
export function reportedAddress(input: ReportedAddressInput): MachineIp | undefined {
  if (input.mac === '') return undefined;
  const lease = input.leases
    .filter((l) => sameMac(l.mac, input.mac) && isLeaseLive(l, input.now) && parseIpv4(l.ip) !== undefined)
    .sort((a, b) => (b.expiry === 0 ? Infinity : b.expiry) - (a.expiry === 0 ? Infinity : a.expiry))[0];
  if (lease) return { address: lease.ip, source: 'lease' };

  const reservation = input.network?.dhcp?.hosts.find((h) => sameMac(h.mac, input.mac) && h.ip !== undefined);
  if (reservation?.ip !== undefined) return { address: reservation.ip, source: 'reservation' };

  for (const nic of input.agentInterfaces ?? []) {
    if (!sameMac(nic.hwaddr, input.mac)) continue;
    const v4 = nic.addrs.find((a) => a.type === 'ipv4' && parseIpv4(a.addr) !== undefined && !a.addr.startsWith('127.'));
    if (v4) return { address: v4.addr, source: 'agent' };
  }
  return undefined;
}
