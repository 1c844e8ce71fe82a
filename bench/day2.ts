// Day-2 operations benchmark through the REST API of the real panel on the harness hypervisor:
// snapshot create and revert (disk-only, a stopped machine with a 1 GiB qcow2 disk), clone of a
// stopped machine made from a 64 MiB image, and the 1000-machine list with tags beside the same
// list without (cold over several panel starts, and warm; one run, as a ratio). Run inside the
// harness namespace (BENCH_COLD_SAMPLES sets the panel starts, 5 by default):
//   scripts/harness/harness.sh exec npx tsx bench/day2.ts
// Everything named bench-<pid>-… is removed at the end, on failure and on Ctrl-C. A benchmark
// prints, it does not assert: each figure with its target and pass/MISS.
import { performance } from 'node:perf_hooks';
import { AffectFlags } from '../server/libvirt/index.js';
import { propertiesForSetMetadata } from '../server/services/machines/properties-metadata.js';
import { BENCH_PROVIDER as PROVIDER, benchNumber as num, HarnessBench, requireHarnessBench } from './helpers/harness-bench.js';
import { populate } from './helpers/population.js';
import { waitConnected, type PanelChild } from './helpers/panel-process.js';
import { median, ms, percentile, seconds } from './helpers/stats.js';

const env = requireHarnessBench('bench/day2.ts');
const LIST_MACHINES = num('BENCH_LIST_MACHINES', 1000);
const WARM_REQUESTS = num('BENCH_WARM_REQUESTS', 300);
const ROUNDS = num('BENCH_ROUNDS', 5);
const COLD_SAMPLES = num('BENCH_COLD_SAMPLES', 5);
const PLAN = { name: 'bench', memoryMiB: 256, cpus: 1, diskGiB: 1 };
const bench = new HarnessBench(env, PLAN);
const { prefix: PREFIX, auth: AUTH } = bench;
const report = bench.report.bind(bench);
const stopPanel = bench.stopPanel.bind(bench);

async function startPanel(linked: boolean): Promise<PanelChild> {
  const panel = await bench.startPanel(linked);
  await waitConnected(panel, PROVIDER, AUTH);
  return panel;
}

async function call(
  panel: PanelChild,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(`${panel.base}${path}`, {
    method,
    headers: { ...AUTH, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}
async function timed(
  panel: PanelChild,
  method: string,
  path: string,
  body: unknown,
  expect: number,
): Promise<{ ms: number; headers: Headers }> {
  const started = performance.now();
  const res = await call(panel, method, path, body);
  const elapsed = performance.now() - started;
  if (res.status !== expect) throw new Error(`${method} ${path}: ${res.status} ${res.text.slice(0, 300)}`);
  return { ms: elapsed, headers: res.headers };
}
const timedList = (panel: PanelChild, query = '') => bench.timedList(panel.base, query);
/** Cold (the first list after the panel connects, its cache filling) and warm p50 of the full list. */
async function listFigures(panel: PanelChild): Promise<{ cold: number; warm: number[]; count: number }> {
  await fetch(`${panel.base}/api/plans/`, { headers: AUTH }); // bcrypt once, outside the figure
  const cold = await timedList(panel);
  const warm: number[] = [];
  for (let i = 0; i < WARM_REQUESTS; i++) warm.push((await timedList(panel)).ms);
  return { cold: cold.ms, warm, count: cold.count };
}
/** Cold lists of COLD_SAMPLES - 1 panels started for it alone (the caller's panel gives one more). */
async function moreColdLists(): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 1; i < COLD_SAMPLES; i++) {
    const panel = await startPanel(false);
    await fetch(`${panel.base}/api/plans/`, { headers: AUTH });
    samples.push((await timedList(panel)).ms);
    await stopPanel(panel);
  }
  return samples;
}
const spread = (samples: number[]): string =>
  `median of ${samples.length} panels, ${seconds(Math.min(...samples))}–${seconds(Math.max(...samples))}`;
async function createMachine(panel: PanelChild, name: string, image: string): Promise<string> {
  const { headers } = await timed(
    panel,
    'POST',
    '/api/machines/',
    { Name: name, Plan: PLAN.name, Image: image, Provider: PROVIDER },
    201,
  );
  const location = headers.get('location')!;
  await timed(panel, 'POST', `${location}stop/`, undefined, 200);
  return location;
}
/** ROUNDS clones of the machine at `location` (not started), each deleted again: their times. */
async function cloneRounds(panel: PanelChild, location: string, tag: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const { ms: took, headers } = await timed(
      panel,
      'POST',
      `${location}clone/`,
      { Name: `${PREFIX}${tag}${i}`, Start: false },
      201,
    );
    times.push(took);
    await timed(panel, 'DELETE', headers.get('location')!, undefined, 204);
  }
  return times;
}
const summary = (samples: number[]): string =>
  `median of ${samples.length}; min ${ms(Math.min(...samples))}, max ${ms(Math.max(...samples))}`;

async function listPhase(): Promise<void> {
  const names = Array.from({ length: LIST_MACHINES }, (_, i) => `${PREFIX}m${String(i).padStart(4, '0')}`);
  let started = performance.now();
  await populate(bench.target!, names, 0);
  console.log(`populate: ${names.length} machines in ${seconds(performance.now() - started)}`);
  const plainPanel = await startPanel(false);
  const plain = await listFigures(plainPanel);
  await stopPanel(plainPanel);
  const plainCold = [plain.cold, ...(await moreColdLists())];

  started = performance.now();
  for (let i = 0; i < names.length; i += 16) {
    await Promise.all(
      names.slice(i, i + 16).map(async (name, j) => {
        const domain = await bench.conn!.lookupDomainByName(name);
        const { xml, key, uri } = propertiesForSetMetadata({
          tags: ['bench', `group-${(i + j) % 10}`, ...(j % 2 ? ['odd'] : [])],
          label: (i + j) % 3 === 0 ? { name: 'production', colour: '#2f855a' } : undefined,
          description: `machine ${i + j} of the day-2 benchmark`,
        });
        await domain.setMetadata(xml, { type: 'element', key, uri, flags: AffectFlags.CONFIG });
      }),
    );
  }
  console.log(`tagged ${names.length} machines in ${seconds(performance.now() - started)}`);
  const taggedPanel = await startPanel(false);
  const tagged = await listFigures(taggedPanel);
  const filtered: number[] = [];
  let filteredCount = 0;
  for (let i = 0; i < WARM_REQUESTS; i++) {
    const r = await timedList(taggedPanel, '?tag=group-3');
    filtered.push(r.ms);
    filteredCount = r.count;
  }
  await stopPanel(taggedPanel);
  const taggedCold = [tagged.cold, ...(await moreColdLists())];

  report({
    name: `cold list, ${tagged.count} machines with tags`,
    figure: seconds(median(taggedCold)),
    target: '≤ 0.4 s',
    pass: median(taggedCold) <= 400,
    note:
      `${spread(taggedCold)}; without tags ${seconds(median(plainCold))} (${spread(plainCold)}); ` +
      `ratio of medians ${(median(taggedCold) / median(plainCold)).toFixed(2)}×`,
  });
  report({
    name: `warm list p50, ${tagged.count} machines with tags`,
    figure: ms(median(tagged.warm)),
    target: '≤ 15 ms',
    pass: median(tagged.warm) <= 15,
    note: `p99 ${ms(percentile(tagged.warm, 99))}; without tags p50 ${ms(median(plain.warm))}; ratio ${(median(tagged.warm) / median(plain.warm)).toFixed(2)}×`,
  });
  report({
    name: `warm list ?tag=group-3 p50 (${filteredCount} of ${tagged.count})`,
    figure: ms(median(filtered)),
    target: '(context)',
    pass: true,
    note: `p99 ${ms(percentile(filtered, 99))}`,
  });
}

async function snapshotAndClonePhase(): Promise<void> {
  const panel = await startPanel(false);
  await timedList(panel);
  const snapLocation = await createMachine(panel, `${PREFIX}snap`, 'Cirros-0.6_amd64_qcow2.img');
  const creates: number[] = [];
  const reverts: number[] = [];
  const deletes: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    creates.push((await timed(panel, 'POST', `${snapLocation}snapshots/`, { Name: `s${i}` }, 201)).ms);
  }
  for (let i = 0; i < ROUNDS; i++)
    reverts.push((await timed(panel, 'POST', `${snapLocation}snapshots/s${i}/revert/`, {}, 200)).ms);
  for (let i = 0; i < ROUNDS; i++)
    deletes.push((await timed(panel, 'DELETE', `${snapLocation}snapshots/s${i}/`, undefined, 204)).ms);
  report({
    name: 'snapshot create, stopped machine, 1 GiB qcow2 disk',
    figure: ms(median(creates)),
    target: '≤ 1 s',
    pass: median(creates) <= 1000,
    note: summary(creates),
  });
  report({
    name: 'snapshot revert, same machine',
    figure: ms(median(reverts)),
    target: '≤ 1 s',
    pass: median(reverts) <= 1000,
    note: summary(reverts),
  });
  report({
    name: 'snapshot delete (context)',
    figure: ms(median(deletes)),
    target: '(context)',
    pass: true,
    note: summary(deletes),
  });

  const sourceLocation = await createMachine(panel, `${PREFIX}src`, 'Debian-12_amd64_raw.img');
  const clones = await cloneRounds(panel, sourceLocation, 'c');
  report({
    name: 'clone, stopped machine from a 64 MiB raw image (full copy, not started)',
    figure: ms(median(clones)),
    target: '≤ 1 s',
    pass: median(clones) <= 1000,
    note: summary(clones),
  });
  await stopPanel(panel);

  // Context: a linked clone (an overlay source: its own layer streamed through the panel).
  const linkedPanel = await startPanel(true);
  const overlay = await createMachine(linkedPanel, `${PREFIX}ovl`, 'Cirros-0.6_amd64_qcow2.img');
  const linked = await cloneRounds(linkedPanel, overlay, 'l');
  report({
    name: 'linked clone of an overlay (context)',
    figure: ms(median(linked)),
    target: '(context)',
    pass: true,
    note: summary(linked),
  });
  await stopPanel(linkedPanel);
}

await bench.run(async () => {
  await bench.connect('Cirros-0.6_amd64_qcow2.img');
  await snapshotAndClonePhase();
  await listPhase();
}, 'day-2 benchmark');
