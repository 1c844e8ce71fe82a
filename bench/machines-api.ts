// Machines benchmark of the REST API against the real-hypervisor harness, with vmango 0.6's figures
// and the targets beside each measured figure. Run inside the harness namespace:
//   scripts/harness/harness.sh exec npx tsx bench/machines-api.ts
// The panel runs as a child process (node bin/vmango.js -config FILE, or the bench's own wiring of
// the same layers when dist/ does not serve the API yet). The hypervisor is filled directly through
// the libvirt binding with stopped machines named bench-<pid>-…; everything of that prefix
// (domains, volumes, DHCP host entries) is removed at the end, on failure and on Ctrl-C.
// A benchmark prints, it does not assert: each figure is printed with its target and pass/MISS.
import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';

import { BENCH_PROVIDER as PROVIDER, benchNumber as num, HarnessBench, requireHarnessBench } from './helpers/harness-bench.js';
import { depopulate, populate } from './helpers/population.js';
import { memoryOf, waitConnected } from './helpers/panel-process.js';
import { median, ms, percentile, seconds } from './helpers/stats.js';

const env = requireHarnessBench('bench/machines-api.ts');
const LIST_MACHINES = num('BENCH_LIST_MACHINES', 1000);
const RPS_MACHINES = num('BENCH_RPS_MACHINES', 100);
const WARM_REQUESTS = num('BENCH_WARM_REQUESTS', 300);
const RPS_SECONDS = num('BENCH_RPS_SECONDS', 10);
const CREATES = num('BENCH_CREATES', 7);
const IMAGE = 'Cirros-0.6_amd64_qcow2.img';
const PLAN = { name: 'bench', memoryMiB: 1024, cpus: 1, diskGiB: 1 };
const bench = new HarnessBench(env, PLAN);
const { prefix: PREFIX, auth: AUTH } = bench;
const report = bench.report.bind(bench);
const startPanel = bench.startPanel.bind(bench);
const stopPanel = bench.stopPanel.bind(bench);
const timedList = (base: string) => bench.timedList(base);

/** Polls the list until it shows `count` machines (the cache follows domain events). */
async function waitForCount(base: string, count: number, timeoutMs = 120_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    const { count: seen } = await timedList(base);
    if (seen === count || seen === (await countDomains()).total) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`list shows ${seen} machines, expected ${count}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function countDomains(): Promise<{ total: number; ours: string[] }> {
  const all = await bench.conn!.listAllDomains({ withXml: false });
  return {
    total: all.length,
    ours: all
      .filter((d) => d.name.startsWith(PREFIX))
      .map((d) => d.name)
      .sort(),
  };
}

// ---- phases ------------------------------------------------------------------------------------
let nextIndex = 0;
const populated: string[] = [];

async function fillTo(total: number): Promise<void> {
  const { total: now } = await countDomains();
  const missing = total - now;
  if (missing <= 0) return;
  const names = Array.from({ length: missing }, (_, i) => `${PREFIX}m${String(nextIndex + i).padStart(4, '0')}`);
  const started = performance.now();
  await populate(bench.target!, names, nextIndex);
  nextIndex += missing;
  populated.push(...names);
  console.log(
    `populate: defined ${missing} machines (+ ${missing} volumes) in ${seconds(performance.now() - started)}; ${now} others were there`,
  );
}

async function shrinkTo(total: number): Promise<void> {
  const { total: now } = await countDomains();
  const extra = Math.min(now - total, populated.length);
  if (extra <= 0) return;
  const names = populated.splice(populated.length - extra, extra);
  const started = performance.now();
  await depopulate(bench.target!, names);
  console.log(`depopulate: removed ${extra} machines in ${seconds(performance.now() - started)}`);
}

async function listPhase(): Promise<void> {
  await fillTo(LIST_MACHINES);
  const { total } = await countDomains();
  const panel = await startPanel(false);
  const hv = await waitConnected(panel, PROVIDER, AUTH);
  const connectedAt = performance.now();
  // The first authenticated request pays one bcrypt verification; pay it on a list that never
  // touches the machine cache, so the cold figure is the cache filling alone.
  const plans = await fetch(`${panel.base}/api/plans/`, { headers: AUTH });
  if (plans.status !== 200) throw new Error(`GET /api/plans/ answered ${plans.status}: ${await plans.text()}`);
  const cold = await timedList(panel.base);
  const fromConnected = performance.now() - connectedAt;
  const fromSince = hv.since ? Date.now() - Date.parse(hv.since) : Number.NaN;
  console.log(
    `cold list: ${cold.count} machines (${total} domains on the hypervisor), ${(cold.bytes / 1024).toFixed(0)} KiB; ` +
      `request ${ms(cold.ms)}; connected seen -> listed ${ms(fromConnected)}; panel spawn -> listed ${ms(performance.now() - panel.spawnedAt)}` +
      `${Number.isNaN(fromSince) ? '' : `; provider 'since' -> now ${ms(fromSince)}`}`,
  );
  report({
    name: `cold list, ${cold.count} machines`,
    figure: seconds(fromConnected),
    target: '≤ 0.4 s',
    pass: fromConnected <= 400,
    note: `0.6: 200 machines in 0.50 s; request alone ${seconds(cold.ms)}, from spawn ${seconds(performance.now() - panel.spawnedAt)}`,
  });

  const warm: number[] = [];
  let count = 0;
  for (let i = 0; i < WARM_REQUESTS; i++) {
    const r = await timedList(panel.base);
    warm.push(r.ms);
    count = r.count;
  }
  report({
    name: `warm list p50, ${count} machines (${WARM_REQUESTS} sequential)`,
    figure: ms(median(warm)),
    target: '≤ 15 ms',
    pass: median(warm) <= 15,
    note: `p90 ${ms(percentile(warm, 90))}, p99 ${ms(percentile(warm, 99))}, max ${ms(Math.max(...warm))}`,
  });
  const mem = memoryOf(panel.pid);
  report({
    name: `panel RSS after ${count}-machine lists`,
    figure: `${mem.rssMiB.toFixed(1)} MiB`,
    target: '≤ 120 MB',
    pass: mem.rssMiB * 1.048576 <= 120,
    note: `${(mem.rssMiB * 1.048576).toFixed(1)} MB; peak (VmHWM) ${mem.hwmMiB.toFixed(1)} MiB`,
  });

  // Throughput on a 100-machine list: shrink the hypervisor, let the cache follow, then load it.
  await shrinkTo(RPS_MACHINES);
  const followed = await waitForCount(panel.base, (await countDomains()).total);
  const listed = (await timedList(panel.base)).count;
  console.log(`the list followed to ${listed} machines within ${ms(followed)}`);
  const result = await autocannon({
    url: `${panel.base}/api/machines/`,
    headers: AUTH,
    connections: 32,
    duration: RPS_SECONDS,
  });
  const rps = result.requests.total / (result.duration || RPS_SECONDS);
  report({
    name: `list throughput, ${listed} machines, 32 connections (${RPS_SECONDS} s, autocannon)`,
    figure: `${rps.toFixed(0)} req/s`,
    target: '≥ 2000 req/s',
    pass: rps >= 2000 && result.non2xx === 0 && result.errors === 0,
    note:
      `${result.requests.total} requests, latency p50 ${result.latency.p50} ms p99 ${result.latency.p99} ms, ` +
      `non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts}`,
  });
  // Context, not targets: the same load on routes that do not touch the machine list.
  for (const [path, headers] of [
    ['/healthz', {}],
    ['/api/plans/', AUTH],
  ] as const) {
    const base = await autocannon({ url: `${panel.base}${path}`, headers, connections: 32, duration: 3 });
    console.log(
      `context: ${path} with 32 connections: ${(base.requests.total / (base.duration || 3)).toFixed(0)} req/s ` +
        `(p50 ${base.latency.p50} ms, non-2xx ${base.non2xx})`,
    );
  }
  await stopPanel(panel);
}

async function createDeletePhase(linked: boolean): Promise<void> {
  const panel = await startPanel(linked);
  await waitConnected(panel, PROVIDER, AUTH);
  await timedList(panel.base); // credentials cached, cache filled
  const kind = linked ? 'linked-clone' : 'full-clone';
  const creates: number[] = [];
  const deletes: number[] = [];
  for (let i = 0; i < CREATES; i++) {
    const name = `${PREFIX}${linked ? 'l' : 'c'}${i}`;
    let started = performance.now();
    const res = await fetch(`${panel.base}/api/machines/`, {
      method: 'POST',
      headers: { ...AUTH, 'Content-Type': 'application/json' },
      body: JSON.stringify({ Name: name, Plan: PLAN.name, Image: IMAGE, Provider: PROVIDER }),
    });
    const text = await res.text();
    const createMs = performance.now() - started;
    if (res.status !== 201) throw new Error(`create ${name}: ${res.status} ${text.slice(0, 400)}`);
    const location = res.headers.get('location');
    if (!location) throw new Error(`create ${name}: no Location header`);
    creates.push(createMs);
    started = performance.now();
    const del = await fetch(`${panel.base}${location}`, { method: 'DELETE', headers: AUTH });
    const deleteMs = performance.now() - started;
    if (del.status !== 204) throw new Error(`delete ${name}: ${del.status} ${(await del.text()).slice(0, 400)}`);
    deletes.push(deleteMs);
    console.log(`${kind} ${name}: create ${ms(createMs)}, delete ${ms(deleteMs)}`);
  }
  if (!linked) {
    // Context: how much of a delete is libvirt's destroy of the running guest alone.
    const name = `${PREFIX}d0`;
    const res = await fetch(`${panel.base}/api/machines/`, {
      method: 'POST',
      headers: { ...AUTH, 'Content-Type': 'application/json' },
      body: JSON.stringify({ Name: name, Plan: PLAN.name, Image: IMAGE, Provider: PROVIDER }),
    });
    await res.text();
    if (res.status === 201) {
      let started = performance.now();
      await (await bench.conn!.lookupDomainByName(name)).destroy();
      const destroyMs = performance.now() - started;
      started = performance.now();
      const del = await fetch(`${panel.base}${res.headers.get('location')}`, { method: 'DELETE', headers: AUTH });
      console.log(
        `context: virDomainDestroy of a just-started TCG guest through the binding ${ms(destroyMs)}; ` +
          `then DELETE of the stopped machine ${ms(performance.now() - started)} (${del.status})`,
      );
    }
  }
  const createMedian = median(creates);
  report({
    name: linked
      ? `linked-clone create (volume-linked.xml.in) median of ${CREATES}`
      : `create (full clone of 64 MiB qcow2, 1 GiB plan) median of ${CREATES}`,
    figure: seconds(createMedian),
    target: linked ? '≤ 0.3 s' : '≤ 0.45 s',
    pass: createMedian <= (linked ? 300 : 450),
    note: `0.6: 0.91 s; min ${seconds(Math.min(...creates))}, max ${seconds(Math.max(...creates))}`,
  });
  const deleteMedian = median(deletes);
  report({
    name: `delete (running TCG guest, ${kind} disk) median of ${CREATES}`,
    figure: seconds(deleteMedian),
    target: '≤ 1 s',
    pass: deleteMedian <= 1000,
    note: `0.6: 1.96 s; min ${seconds(Math.min(...deletes))}, max ${seconds(Math.max(...deletes))}`,
  });
  await stopPanel(panel);
}

await bench.run(async () => {
  await bench.connect(IMAGE);
  console.log(`harness ${env.uri}; prefix ${PREFIX}; ${(await countDomains()).total} domains there before the bench`);
  await listPhase();
  await createDeletePhase(false);
  await createDeletePhase(true);
}, 'machines benchmark (vmango 0.6 on the same kind of hypervisor: 200 listed in 0.50 s, create 0.91 s, delete 1.96 s)');
