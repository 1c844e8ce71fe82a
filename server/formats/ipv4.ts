/** Dotted-quad IPv4 addresses as unsigned 32-bit numbers, for walking DHCP ranges. */

/** The address as a number, or undefined when `text` is not a dotted quad (no leading zeros, each 0–255). */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** The prefix length of a contiguous netmask like 255.255.255.0, or undefined for a non-contiguous one. */
export function netmaskToPrefix(netmask: string): number | undefined {
  const mask = parseIpv4(netmask);
  if (mask === undefined) return undefined;
  const ones = Math.clz32(~mask >>> 0);
  const rebuilt = ones === 0 ? 0 : (0xffffffff << (32 - ones)) >>> 0;
  return rebuilt === mask ? ones : undefined;
}

export function prefixToNetmask(prefix: number): string {
  return formatIpv4(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
}
