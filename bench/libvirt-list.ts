// Listing benchmark for the libvirt binding. Run inside the harness namespace:
//   scripts/harness/harness.sh exec npx tsx bench/libvirt-list.ts [uri]
// For N = 200 and 1000 defined domains it compares one bulk listAllDomains (with XML)
// against one getXmlDesc call per domain, then measures calls per second on one
// connection (sequential and 64 in flight). Every domain it defines is undefined again.
import { performance } from 'node:perf_hooks';

import { openConnection, type Connection, type Domain } from '../server/libvirt/index.js';

const uri = process.argv[2] ?? process.env.VMANGO_HARNESS_URI;
if (uri === undefined) {
  console.error(
    'usage: npx tsx bench/libvirt-list.ts URI (or run via scripts/harness/harness.sh exec, which sets VMANGO_HARNESS_URI)',
  );
  process.exit(2);
}
const domainType = process.env.VMANGO_HARNESS_DOMAIN_TYPE ?? (uri.startsWith('test:') ? 'test' : 'qemu');
const PREFIX = `vmango-bench-${process.pid}`;

function domainXml(name: string): string {
  return (
    `<domain type='${domainType}'><name>${name}</name><memory unit='MiB'>32</memory><vcpu>1</vcpu>` +
    `<os><type arch='x86_64'>hvm</type></os></domain>`
  );
}

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { ms: performance.now() - started, result };
}

async function benchListing(conn: Connection, count: number, defined: Domain[]): Promise<void> {
  const names = Array.from(
    { length: count - defined.length },
    (_, i) => `${PREFIX}-${String(defined.length + i).padStart(4, '0')}`,
  );
  const define = await timed(() =>
    inBatches(names, 50, async (name) => {
      defined.push(await conn.defineDomain(domainXml(name)));
    }),
  );
  console.log(`defined ${names.length} more domains (${defined.length} of ours) in ${define.ms.toFixed(0)} ms`);

  const bulk = await timed(() => conn.listAllDomains());
  const ours = bulk.result.filter((d) => d.name.startsWith(PREFIX));
  console.log(
    `N=${count}: bulk listAllDomains with XML: ${bulk.ms.toFixed(1)} ms for ${bulk.result.length} domains ` +
      `(${(bulk.ms / bulk.result.length).toFixed(3)} ms/domain, ${ours.length} ours)`,
  );

  const perDomain = await timed(async () => {
    const listed = await conn.listAllDomains({ withXml: false });
    for (const entry of listed) {
      await entry.domain.getState();
      await entry.domain.getXmlDesc();
    }
    return listed.length;
  });
  console.log(
    `N=${count}: list + getState + getXmlDesc per domain, sequential: ${perDomain.ms.toFixed(1)} ms ` +
      `(${(perDomain.ms / perDomain.result).toFixed(3)} ms/domain)`,
  );

  const perDomainConcurrent = await timed(async () => {
    const listed = await conn.listAllDomains({ withXml: false });
    await Promise.all(listed.map(async (entry) => Promise.all([entry.domain.getState(), entry.domain.getXmlDesc()])));
    return listed.length;
  });
  console.log(`N=${count}: same, all calls queued at once: ${perDomainConcurrent.ms.toFixed(1)} ms`);
}

async function benchCallRate(conn: Connection): Promise<void> {
  const calls = 2000;
  const sequential = await timed(async () => {
    for (let i = 0; i < calls; i++) await conn.getHostname();
  });
  console.log(`sequential getHostname: ${((calls / sequential.ms) * 1000).toFixed(0)} calls/s`);
  const inFlight = 64;
  const concurrent = await timed(async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < calls) {
          next++;
          await conn.getHostname();
        }
      }),
    );
  });
  console.log(`getHostname with ${inFlight} in flight: ${((calls / concurrent.ms) * 1000).toFixed(0)} calls/s`);
}

const opened = await timed(() => openConnection(uri));
const conn = opened.result;
console.log(`opened ${uri} in ${opened.ms.toFixed(0)} ms`);
const defined: Domain[] = [];
try {
  await benchCallRate(conn);
  await benchListing(conn, 200, defined);
  await benchListing(conn, 1000, defined);
} finally {
  const cleanup = await timed(() => inBatches(defined, 50, (domain) => domain.undefine()));
  console.log(`undefined ${defined.length} domains in ${cleanup.ms.toFixed(0)} ms`);
  await conn.close();
}
