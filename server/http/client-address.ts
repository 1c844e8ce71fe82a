import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/**
 * The address a request came from. Headers are believed only when the peer itself is a trusted
 * proxy (an address or CIDR from `trusted_proxies`): `X-Forwarded-For` is read from the right,
 * each trusted proxy's entry skipped, and the first other entry is the client (a client can put
 * anything at the left; only what trusted proxies appended counts). Without it, `X-Real-IP`.
 * Anything that is not an IP address is never believed: the walk stops at the hop that sent it.
 */
export function clientAddressResolver(trustedProxies: readonly string[]): (req: IncomingMessage) => string {
  const trusted = trustedProxyList(trustedProxies);
  return (req) => {
    const peer = stripIpv4Mapping(req.socket.remoteAddress ?? '');
    if (!peer || !isTrusted(trusted, peer)) return peer;
    const forwarded = headerValue(req, 'x-forwarded-for');
    if (forwarded !== undefined && forwarded.trim() !== '') {
      let client = peer;
      const hops = forwarded.split(',').map((hop) => stripIpv4Mapping(hop.trim()));
      for (let i = hops.length - 1; i >= 0; i--) {
        const hop = hops[i]!;
        if (isIP(hop) === 0) break;
        client = hop;
        if (!isTrusted(trusted, hop)) break;
      }
      return client;
    }
    const realIp = stripIpv4Mapping(headerValue(req, 'x-real-ip')?.trim() ?? '');
    return isIP(realIp) !== 0 ? realIp : peer;
  };
}

/** Whether an address is one of `trustedProxies` (for Express's `trust proxy`: X-Forwarded-Proto). */
export function trustedProxyCheck(trustedProxies: readonly string[]): (address: string) => boolean {
  const trusted = trustedProxyList(trustedProxies);
  return (address) => isTrusted(trusted, stripIpv4Mapping(address));
}

/**
 * Whether the browser talks HTTPS: to the panel itself, or to a trusted proxy that says so in
 * X-Forwarded-Proto (as Express's req.secure with `trust proxy`), for requests Express never sees
 * (WebSocket upgrades).
 */
export function secureRequestCheck(trustedProxies: readonly string[]): (req: IncomingMessage) => boolean {
  const trusted = trustedProxyList(trustedProxies);
  return (req) => {
    if ((req.socket as { encrypted?: boolean }).encrypted === true) return true;
    const peer = stripIpv4Mapping(req.socket.remoteAddress ?? '');
    if (!isTrusted(trusted, peer)) return false;
    return headerValue(req, 'x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https';
  };
}

function trustedProxyList(trustedProxies: readonly string[]): BlockList {
  const trusted = new BlockList();
  for (const entry of trustedProxies) addToBlockList(trusted, entry);
  return trusted;
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
