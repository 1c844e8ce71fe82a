// virsh against a hypervisor URI (for the harness: run inside its namespace).
import { runOk } from './run.js';

/** `virsh -c URI args…`; resolves with stdout, rejects with virsh's error. */
export function virsh(uri: string, ...args: string[]): Promise<string> {
  return runOk('virsh', ['-q', '-c', uri, ...args], { timeoutMs: 120_000 });
}

/** A random MAC address in QEMU's 52:54:00 range. */
export function randomMac(): string {
  const bytes = [0x52, 0x54, 0x00, ...Array.from({ length: 3 }, () => Math.floor(Math.random() * 256))];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** IPv4 addresses in use on a libvirt network: its DHCP host entries and current leases. */
export async function usedAddresses(uri: string, network: string): Promise<Set<string>> {
  const used = new Set<string>();
  const xml = await virsh(uri, 'net-dumpxml', network);
  for (const match of xml.matchAll(/<host\b[^>]*\bip=['"]([0-9.]+)['"]/g)) used.add(match[1]!);
  for (const match of xml.matchAll(/<ip\b[^>]*\baddress=['"]([0-9.]+)['"]/g)) used.add(match[1]!);
  for (const lease of parseLeases(await virsh(uri, 'net-dhcp-leases', network))) used.add(lease.ip);
  return used;
}

export interface Lease {
  mac: string;
  ip: string;
  hostname: string;
  /** The DHCP client identifier the guest sent ('-' when none). */
  clientId: string;
}

/** Parses the table `virsh -q net-dhcp-leases` prints. */
export function parseLeases(table: string): Lease[] {
  const leases: Lease[] = [];
  for (const line of table.split('\n')) {
    // Expiry date, time, MAC, protocol, IP/prefix, hostname, client id.
    const m = /^\s*\S+\s+\S+\s+([0-9a-f:]{17})\s+ipv4\s+([0-9.]+)\/\d+\s+(\S+)(?:\s+(\S+))?/i.exec(line);
    if (m) leases.push({ mac: m[1]!.toLowerCase(), ip: m[2]!, hostname: m[3]!, clientId: m[4] ?? '-' });
  }
  return leases;
}

/**
 * Reserves an address for `mac` as a DHCP host entry (live and persistent) on `network`, picked
 * at random from `prefix.first`–`prefix.last` among the unused ones; a clash with a concurrent
 * reservation is retried. Returns the address and a function that removes the entry.
 */
export async function reserveDhcpHost(
  uri: string,
  network: string,
  host: { mac: string; name: string; prefix: string; first?: number; last?: number },
): Promise<{ ip: string; release: () => Promise<void> }> {
  const first = host.first ?? 100;
  const last = host.last ?? 249;
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const used = await usedAddresses(uri, network);
    const free = [];
    for (let n = first; n <= last; n++) if (!used.has(`${host.prefix}.${n}`)) free.push(`${host.prefix}.${n}`);
    if (free.length === 0) throw new Error(`no free address in ${host.prefix}.${first}-${last} on network ${network}`);
    const ip = free[Math.floor(Math.random() * free.length)]!;
    const entry = `<host mac='${host.mac}' name='${host.name}' ip='${ip}'/>`;
    try {
      await virsh(uri, 'net-update', network, 'add-last', 'ip-dhcp-host', entry, '--live', '--config');
      return {
        ip,
        release: async () => {
          await virsh(uri, 'net-update', network, 'delete', 'ip-dhcp-host', entry, '--live', '--config');
        },
      };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/**
 * Polls a network's DHCP leases every `intervalMs` until stopped and keeps each table that
 * differs from the one before, with the time since the start: how leases changed hands.
 */
export function watchLeases(uri: string, network: string, intervalMs = 1000): { stop: () => Promise<string> } {
  const started = Date.now();
  const seen: string[] = [];
  let last = '';
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const rows = parseLeases(await virsh(uri, 'net-dhcp-leases', network))
          .map((l) => `${l.mac} ${l.ip} ${l.clientId}`)
          .sort()
          .join('; ');
        if (rows !== last) seen.push(`+${((Date.now() - started) / 1000).toFixed(0)} s: ${rows || 'none'}`);
        last = rows;
      } catch (error) {
        seen.push(`+${((Date.now() - started) / 1000).toFixed(0)} s: ${String(error)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return seen.join('\n');
    },
  };
}
