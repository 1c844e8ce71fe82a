// Many calls at once over one Connection, of every kind that runs on a lane of its own (bulk
// listings, statistics, starts and destroys, network updates), next to ordinary lookups, for
// a while. libvirt's client before 10.3 corrupts memory when two threads call over one
// connection at once (CVE-2024-4418): this process crashing is what the test looks for.
// Args: uri, domain type, network name, name prefix, seconds. Prints a JSON summary.
import { NetworkUpdateFlags, openConnection, type Domain } from '../../../server/libvirt/index.js';

const [uri, domainType, networkName, prefix, secondsArg] = process.argv.slice(2);
if (!uri || !domainType || !networkName || !prefix) throw new Error('usage: concurrent-calls URI TYPE NETWORK PREFIX [SECONDS]');
const seconds = Number(secondsArg ?? 10);
const DEFINED = 100;
const TOGGLED = 2;

const xml = (name: string): string =>
  `<domain type='${domainType}'><name>${name}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>` +
  `<os><type arch='x86_64' machine='pc'>hvm</type></os><devices><memballoon model='none'/></devices></domain>`;

// A keepalive every second, as a provider with keepalive_interval = 1 has: libvirt's event loop
// thread then sends pings over the connection too.
const conn = await openConnection(uri, { keepaliveInterval: 1, keepaliveCount: 5 });
const calls: Record<string, number> = {};
const failed: Record<string, number> = {};
const domains: Domain[] = [];
try {
  for (let i = 0; i < DEFINED; i++) domains.push(await conn.defineDomain(xml(`${prefix}-${i}`)));
  const network = await conn.lookupNetworkByName(networkName);
  const until = Date.now() + seconds * 1000;
  // Each loop keeps one kind of call going until the time is up; all loops run at once.
  // Calls may fail while the test freezes the hypervisor's path: counted, never fatal.
  const loop = async (name: string, call: (i: number) => Promise<unknown>): Promise<void> => {
    for (let i = 0; Date.now() < until; i++) {
      try {
        await call(i);
        calls[name] = (calls[name] ?? 0) + 1;
      } catch {
        failed[name] = (failed[name] ?? 0) + 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };
  const live = { flags: NetworkUpdateFlags.AFFECT_LIVE };
  await Promise.all([
    loop('listAllDomains', () => conn.listAllDomains()),
    loop('listAllDomains', () => conn.listAllDomains()),
    loop('getAllDomainStats', () => conn.getAllDomainStats()),
    loop('lookupDomainByUuid', (i) => conn.lookupDomainByUuid(domains[i % DEFINED]!.uuid)),
    loop('getState', (i) => domains[(i * 7) % DEFINED]!.getState()),
    loop('getHostname', () => conn.getHostname()),
    ...domains
      .slice(0, TOGGLED)
      .map((domain) => loop('start/destroy', async () => ((await domain.isActive()) ? domain.destroy() : domain.start()))),
    loop('networkUpdate', (i) => {
      const host = `<host mac='52:54:00:ee:${(i % 256).toString(16).padStart(2, '0')}:01' name='${prefix}-h' ip='192.168.150.251'/>`;
      return network
        .update('add-last', 'ip-dhcp-host', host, live)
        .then(() => network.update('delete', 'ip-dhcp-host', host, live));
    }),
  ]);
} finally {
  for (const domain of domains) {
    if (await domain.isActive().catch(() => false)) await domain.destroy().catch(() => undefined);
    await domain.undefine().catch(() => undefined);
  }
  await conn.close();
}
process.stdout.write(`${JSON.stringify({ seconds, calls, failed })}\n`);
