/** Reading libvirt network XML (virNetworkGetXMLDesc). */
import { netmaskToPrefix, parseIpv4, prefixToNetmask } from '../../formats/ipv4.js';
import { attr, child, childrenNamed, parseXmlRoot, type XmlElement } from '../../formats/xml/tree.js';

/** A `<dhcp><host>` reservation; libvirt allows any of the three to be missing. */
export interface DhcpHost {
  mac?: string;
  name?: string;
  ip?: string;
}

export interface DhcpRange {
  start: string;
  end: string;
}

export interface NetworkIp {
  family: 'ipv4' | 'ipv6';
  /** The host's own address on the network (the guests' gateway). */
  address: string;
  prefix?: number;
  /** Dotted netmask for IPv4 (given, or derived from the prefix). */
  netmask?: string;
  /** True when the element has a `<dhcp>` child. */
  hasDhcp: boolean;
  ranges: DhcpRange[];
  hosts: DhcpHost[];
}

export interface NetworkFacts {
  name: string;
  uuid: string;
  bridge?: string;
  /** `<forward mode>` (`nat` when the element has no mode); undefined for an isolated network. */
  forwardMode?: string;
  ips: NetworkIp[];
  /** The first IPv4 `<ip>` with DHCP: the one vmango reserves addresses in. */
  dhcp?: NetworkIp;
}

function readIp(ip: XmlElement): NetworkIp {
  const address = attr(ip, 'address') ?? '';
  const family = attr(ip, 'family') === 'ipv6' || address.includes(':') ? 'ipv6' : 'ipv4';
  const prefixText = attr(ip, 'prefix');
  const givenPrefix = prefixText !== undefined && /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : undefined;
  const netmaskText = attr(ip, 'netmask');
  let prefix = givenPrefix;
  let netmask: string | undefined;
  if (family === 'ipv4') {
    if (netmaskText !== undefined && netmaskToPrefix(netmaskText) !== undefined) {
      netmask = netmaskText;
      prefix = netmaskToPrefix(netmaskText);
    } else if (givenPrefix !== undefined && givenPrefix <= 32) {
      netmask = prefixToNetmask(givenPrefix);
    }
  }
  const dhcp = child(ip, 'dhcp');
  return {
    family,
    address,
    prefix: prefix,
    netmask: netmask,
    hasDhcp: dhcp !== undefined,
    ranges: childrenNamed(dhcp, 'range').map((r) => ({ start: attr(r, 'start') ?? '', end: attr(r, 'end') ?? '' })),
    hosts: childrenNamed(dhcp, 'host').map((h) => ({
      mac: attr(h, 'mac'),
      name: attr(h, 'name'),
      ip: attr(h, 'ip'),
    })),
  };
}

/**
 * Reads a network's name, bridge, forward mode and every `<ip>` (IPv4 and IPv6) with its DHCP ranges
 * and host reservations. Never throws for a well-formed `<network>` document; throws XmlParseError
 * for a malformed one.
 */
export function parseNetworkXml(xml: string): NetworkFacts {
  const network = parseXmlRoot(xml, 'network XML', 'network');
  const forward = child(network, 'forward');
  const ips = childrenNamed(network, 'ip').map(readIp);
  const dhcp = ips.find((ip) => ip.family === 'ipv4' && ip.hasDhcp && parseIpv4(ip.address) !== undefined);
  return {
    name: child(network, 'name')?.text ?? '',
    uuid: child(network, 'uuid')?.text.trim() ?? '',
    bridge: attr(child(network, 'bridge'), 'name'),
    forwardMode: forward ? (attr(forward, 'mode') ?? 'nat') : undefined,
    ips,
    dhcp: dhcp,
  };
}
