/** The `<host>` element given to virNetworkUpdate to add or remove a DHCP reservation. */
import { parseIpv4 } from '../../formats/ipv4.js';
import { escapeXmlAttribute } from '../../formats/xml/escape.js';

export class DhcpHostError extends Error {
  override readonly name = 'DhcpHostError';
}

export interface DhcpHostEntry {
  mac: string;
  name: string;
  ip: string;
}

const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

/** `<host mac="…" name="…" ip="…"/>`, every value checked and escaped. */
export function dhcpHostXml(host: DhcpHostEntry): string {
  if (!MAC.test(host.mac)) {
    throw new DhcpHostError(
      `DHCP host MAC address ${JSON.stringify(host.mac)} is not six colon-separated hex pairs like 52:54:00:12:34:56`,
    );
  }
  if (parseIpv4(host.ip) === undefined) {
    throw new DhcpHostError(`DHCP host IP address ${JSON.stringify(host.ip)} is not a dotted-quad IPv4 address`);
  }
  if (host.name === '') throw new DhcpHostError('DHCP host name is empty; it must be the machine name');
  return (
    `<host mac="${escapeXmlAttribute('DHCP host MAC', host.mac)}" name="${escapeXmlAttribute('DHCP host name', host.name)}" ` +
    `ip="${escapeXmlAttribute('DHCP host IP', host.ip)}"/>`
  );
}
