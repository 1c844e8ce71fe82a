/** A DHCP lease as virNetworkGetDHCPLeases reports it. */
export interface DhcpLease {
  ip: string;
  mac: string;
  /** Seconds since the epoch when the lease ends; 0 means it never does (dnsmasq's convention). */
  expiry: number;
}

export function isLeaseLive(lease: DhcpLease, now: Date): boolean {
  return lease.expiry === 0 || lease.expiry * 1000 > now.getTime();
}

export function sameMac(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}
