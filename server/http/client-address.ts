import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/**
 * The address a request came from. `X-Real-IP`, else the first `X-Forwarded-For`
 * entry, is believed only when the peer itself is a trusted proxy (an address
 * or CIDR from `trusted_proxies`), as vmango 0.6 did.
 */
export function clientAddressResolver(trustedProxies: readonly string[]): (req: IncomingMessage) => string {
  const trusted = new BlockList();
  for (const entry of trustedProxies) addToBlockList(trusted, entry);
  return (req) => {
    const peer = stripIpv4Mapping(req.socket.remoteAddress ?? '');
    if (!peer || !isTrusted(trusted, peer)) return peer;
    const realIp = headerValue(req, 'x-real-ip')?.trim();
    if (realIp) return realIp;
    const forwarded = headerValue(req, 'x-forwarded-for')?.split(',')[0]?.trim();
    return forwarded || peer;
  };
}

function addToBlockList(list: BlockList, entry: string): void {
  const [address = '', prefix] = entry.split('/');
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (prefix === undefined) list.addAddress(address, family);
  else list.addSubnet(address, Number(prefix), family);
}

function isTrusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

function stripIpv4Mapping(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
