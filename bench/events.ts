// The event stream's fan-out: BENCH_CLIENTS (500) clients follow GET /api/events/ (token auth),
// one change is made, and each client's delay is measured from the moment the journal numbered
// the event to the moment that client had read it — for BENCH_ROUNDS (20) changes, the p50, p99
// and max over all clients and rounds. Target: ≤ 100 ms p99 on 2 cores.
// The clients run in a worker thread (their parsing is not the panel's work on the main thread);
// both sides read the same clock (performance.timeOrigin + performance.now()).
// Needs no hypervisor (the demo's libvirt test-driver file):   npx tsx bench/events.ts
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { startPanel } from '../server/app/panel.js';
import { parseConfig } from '../server/config/index.js';
import { createLogger } from '../server/core/log.js';
import { hashPassword } from '../server/services/auth/password-hash.js';
import { formatToken, newTokenSecret, secretHash } from '../server/services/auth/api-tokens.js';
import { percentile, ms, printTable, type ResultRow } from './helpers/stats.js';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const WEB1_ID = '4fe884940a384a15b039f94a9bea4934';
const secret = newTokenSecret();
const TOKEN = formatToken('t-bench-events', secret);

const config = parseConfig(
  `session_secret = "bench-events-secret-0123456789abcdefghij"
hypervisor "DEMO" {
  url = "test://${REPO}demo/hypervisor.xml"
  image_storage_pool = "vmango-images"
  root_storage_pool = "default"
  network = "vmango"
  vm_template = "${REPO}demo/vm.xml.in"
  volume_template = "${REPO}templates/volume.xml.in"
}
user "root" {
  password = "${hashPassword('bench-events-password')}"
}
token "t-bench-events" {
  user = "root"
  hash = "sha256:${secretHash(secret)}"
  expires = "never"
}
`,
  { filename: 'bench-events.conf', baseDir: REPO },
);

const panel = await startPanel(config, {
  logger: createLogger('error'),
  listen: { host: '127.0.0.1', port: 0 },
  pages: false,
  events: { limits: { perSession: CLIENTS + 10, total: CLIENTS + 10 } },
  serverLimits: { maxConnections: CLIENTS + 100 },
});
await panel.hypervisors.settled();
const port = Number(new URL(panel.base).port);
const now = (): number => performance.timeOrigin + performance.now();

// When the journal numbered each event (the panel's side of the clock).
const numberedAt = new Map<string, number>();
panel.events.follow(undefined, (event) => numberedAt.set(event.id, now()));

// Raw sockets: each client reads its stream and reports when it saw an id it was asked to watch.
const clientCode = `
const { parentPort, workerData } = require('node:worker_threads');
const { connect } = require('node:net');
const { port, token, clients } = workerData;
const now = () => performance.timeOrigin + performance.now();
const seen = new Map(); // id -> arrival times
let open = 0;
const sockets = [];
for (let i = 0; i < clients; i++) {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  let buffer = '';
  let ready = false;
  socket.setEncoding('utf8');
  socket.on('connect', () => socket.write('GET /api/events/ HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nAuthorization: Bearer ' + token + '\\r\\n\\r\\n'));
  socket.on('data', (text) => {
    buffer += text;
    if (!ready && buffer.includes('\\r\\n\\r\\n')) {
      if (!buffer.startsWith('HTTP/1.1 200')) { parentPort.postMessage({ error: buffer.slice(0, 200) }); return; }
      ready = true;
      if (++open === clients) parentPort.postMessage({ open });
    }
    let at;
    const t = now();
    while ((at = buffer.indexOf('\\nid: ')) >= 0) {
      const end = buffer.indexOf('\\n', at + 5);
      if (end < 0) break;
      const id = buffer.slice(at + 5, end);
      buffer = buffer.slice(end);
      let list = seen.get(id);
      if (!list) seen.set(id, (list = []));
      list.push(t);
      if (list.length === clients) parentPort.postMessage({ id, times: list });
    }
    if (buffer.length > 4096) buffer = buffer.slice(-64);
  });
  socket.on('error', (err) => parentPort.postMessage({ error: String(err) }));
}
parentPort.on('message', (m) => { if (m === 'close') { for (const s of sockets) s.destroy(); process.exit(0); } });
`;

const worker = new Worker(clientCode, { eval: true, workerData: { port, token: TOKEN, clients: CLIENTS } });
const pending = new Map<string, (times: number[]) => void>();
const completed = new Map<string, number[]>();
const opened = new Promise<void>((resolve, reject) => {
  worker.on('message', (message: { open?: number; id?: string; times?: number[]; error?: string }) => {
    if (message.error) reject(new Error(message.error));
    else if (message.open) resolve();
    else if (message.id && message.times) {
      completed.set(message.id, message.times);
      pending.get(message.id)?.(message.times);
    }
  });
});
const openStarted = performance.now();
await opened;
const openMs = performance.now() - openStarted;

const delays: number[] = [];
const roundMax: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const before = panel.events.lastId;
  const action = round % 2 === 0 ? 'stop' : 'start';
  await panel.machines.changeState('DEMO', WEB1_ID, action);
  // Wait for the journal to number it, then for every client to have it.
  while (panel.events.lastId === before) await new Promise((resolve) => setTimeout(resolve, 5));
  const id = panel.events.lastId;
  const times = completed.get(id) ?? (await new Promise<number[]>((resolve) => pending.set(id, resolve)));
  const t0 = numberedAt.get(id)!;
  const these = times.map((t) => t - t0);
  delays.push(...these);
  roundMax.push(Math.max(...these));
  await new Promise((resolve) => setTimeout(resolve, 300)); // the next change is a separate event
}

const p50 = percentile(delays, 50);
const p99 = percentile(delays, 99);
const max = Math.max(...delays);
const rows: ResultRow[] = [
  { name: `${CLIENTS} streams opened (token auth)`, figure: ms(openMs), target: '-' },
  { name: `fan-out of one change to ${CLIENTS} clients, p50`, figure: ms(p50), target: '-' },
  { name: `fan-out of one change to ${CLIENTS} clients, p99`, figure: ms(p99), target: '≤ 100 ms', pass: p99 <= 100 },
  {
    name: `fan-out of one change to ${CLIENTS} clients, max`,
    figure: ms(max),
    target: '-',
    note: `${ROUNDS} changes, ${delays.length} deliveries; worst round ${ms(Math.max(...roundMax))}`,
  },
];
printTable(rows);
worker.postMessage('close');
await panel.close();
process.exit(p99 <= 100 ? 0 : 1);
