// Login flood: 1000 concurrent bad logins (from 1000 client addresses, as a botnet would send them)
// against the real panel, while another process asks /healthz and a user with the right password
// keeps calling the API. Targets: /healthz p99 under 50 ms, and every good request answered 200.
// Needs no hypervisor (the demo's test driver):   npx tsx bench/logins.ts
// BENCH_FLOOD sets the bad logins per wave, BENCH_WAVES the waves.
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '../server/services/auth/password-hash.js';
import { freePort } from './helpers/panel-process.js';
import { percentile, printTable, type ResultRow } from './helpers/stats.js';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const FLOOD = Number(process.env.BENCH_FLOOD ?? 1000);
const WAVES = Number(process.env.BENCH_WAVES ?? 3);
const GOOD = { user: 'good', password: 'the-right-password' };

const port = await freePort();
const dir = mkdtempSync(join(tmpdir(), 'vmango-bench-logins-'));
const configPath = join(dir, 'vmango.conf');
writeFileSync(
  configPath,
  `listen = "127.0.0.1:${port}"
session_secret = "bench-logins-secret-0123456789abcdefghij"
trusted_proxies = ["127.0.0.1"]
hypervisor "DEMO" {
  url = "test://${REPO}demo/hypervisor.xml"
  image_storage_pool = "vmango-images"
  root_storage_pool = "default"
  network = "vmango"
  vm_template = "${REPO}demo/vm.xml.in"
  volume_template = "${REPO}templates/volume.xml.in"
}
user "${GOOD.user}" {
  password = "${hashPassword(GOOD.password)}"
}
`,
);
const panel = spawn(process.execPath, [join(REPO, 'bin/vmango.js'), '-config', configPath, '-loglevel', 'error'], {
  stdio: 'inherit',
});
const base = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  if (
    await fetch(`${base}/healthz`).then(
      (r) => r.ok,
      () => false,
    )
  )
    break;
  if (i > 200) throw new Error('the panel did not start');
  await new Promise((r) => setTimeout(r, 50));
}

// The observer runs in a process of its own, so the flood's own client work cannot slow its clock.
const OBSERVER = `
const base = process.argv[1];
const good = JSON.parse(process.argv[2]);
const health = [], goodStatuses = {};
let running = true;
process.on('message', (m) => { if (m === 'stop') running = false; });
(async () => {
  let n = 0;
  while (running) {
    const t = performance.now();
    await fetch(base + '/healthz').then((r) => r.text());
    health.push(performance.now() - t);
    if (n++ % 5 === 0) {
      const r = await fetch(base + '/api/plans/', { headers: { 'X-Vmango-User': good.user, 'X-Vmango-Pass': good.password, 'X-Forwarded-For': '10.250.0.1' } });
      await r.text();
      goodStatuses[r.status] = (goodStatuses[r.status] || 0) + 1;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  process.send({ health, goodStatuses }, () => process.exit(0));
})();
`;
// Its credentials are verified once before the flood (as a client that has been working for a while).
await fetch(`${base}/api/plans/`, {
  headers: { 'X-Vmango-User': GOOD.user, 'X-Vmango-Pass': GOOD.password, 'X-Forwarded-For': '10.250.0.1' },
});
const observer = spawn(process.execPath, ['-e', OBSERVER, base, JSON.stringify(GOOD)], {
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const observed = new Promise<{ health: number[]; goodStatuses: Record<string, number> }>((resolve) =>
  observer.once('message', (m) => resolve(m as never)),
);
await new Promise((r) => setTimeout(r, 500));

function badLogin(i: number): Promise<number> {
  return new Promise((resolve) => {
    const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const req = request(
      `${base}/api/plans/`,
      {
        headers: {
          'X-Vmango-User': i % 2 === 0 ? GOOD.user : `user-${i}`,
          'X-Vmango-Pass': `guess-${i}`,
          'X-Forwarded-For': address,
        },
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(-1));
    req.end();
  });
}

const statuses: Record<string, number> = {};
const started = performance.now();
for (let wave = 0; wave < WAVES; wave++) {
  const answers = await Promise.all(Array.from({ length: FLOOD }, (_, i) => badLogin(wave * FLOOD + i + 1)));
  for (const status of answers) statuses[status] = (statuses[status] ?? 0) + 1;
}
const floodMs = performance.now() - started;
observer.send('stop');
const { health, goodStatuses } = await observed;
panel.kill('SIGTERM');

const p99 = percentile(health, 99);
const goodTotal = Object.values(goodStatuses).reduce((a, b) => a + b, 0);
const rows: ResultRow[] = [
  {
    name: `/healthz during ${WAVES} × ${FLOOD} concurrent bad logins`,
    figure: `p50 ${percentile(health, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...health).toFixed(1)} ms`,
    target: 'p99 < 50 ms',
    pass: p99 < 50,
    note: `${health.length} requests`,
  },
  {
    name: 'a user with the right password, meanwhile',
    figure: `${goodStatuses['200'] ?? 0} of ${goodTotal} answered 200`,
    target: 'all 200',
    pass: goodTotal > 0 && goodStatuses['200'] === goodTotal,
    note: JSON.stringify(goodStatuses),
  },
  {
    name: 'the bad logins',
    figure: `${(floodMs / 1000).toFixed(1)} s`,
    target: '-',
    note: `answers ${JSON.stringify(statuses)} (401: checked and refused; 429: refused at once, the password check queue being full)`,
  },
];
printTable(rows);
process.exit(0);
