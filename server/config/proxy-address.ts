import { isIP } from 'node:net';

/** Checks one `trusted_proxies` entry: an IP address or a CIDR block. Returns what is wrong, or undefined. */
export function proxyAddressProblem(entry: string): string | undefined {
  const allowed = 'allowed: an IPv4 or IPv6 address ("127.0.0.1", "::1") or a CIDR block ("10.0.0.0/8", "fd00::/8")';
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return `${JSON.stringify(entry)} is not an IP address or CIDR block; ${allowed}`;
  if (prefix === undefined) return undefined;
  const maxPrefix = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > maxPrefix) {
    return `${JSON.stringify(entry)} has an invalid prefix length "${prefix}" (0-${maxPrefix} for IPv${family}); ${allowed}`;
  }
  return undefined;
}
