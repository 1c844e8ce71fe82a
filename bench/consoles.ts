// Serial consoles through the real panel (bin/vmango.js, a child process) on the harness hypervisor
// over qemu+ssh, each figure beside the same measurement on the libvirt binding alone:
//  - open: ticket request → the socket's "ready" frame → the first echoed byte, cold (the panel's
//    first console on the hypervisor) and warm (a spare console connection is open);
//  - keystroke → echo round trip, one byte at a time, through an echo guest (test/libvirt/echo-guest.ts);
//  - a 20 MB burst of console output from the Debian guest image (scripts/guest-image/) booted with
//    its console on virtio (console=hvc0, init=/bin/sh), read by a WebSocket client as fast as it
//    can, with the panel's RSS sampled meanwhile;
//  - for reference, the same guest output through an emulated 16550 UART (under TCG the guest's
//    per-byte port writes, not the panel, set that pace).
// Targets (issue 13): echo p50 ≤ 10 ms; warm open ≤ 300 ms; burst ≥ 5 MB/s, RSS growth ≤ 20 MB.
// Run:  scripts/harness/harness.sh exec npx tsx bench/consoles.ts   (scripts/bench.sh runs it too)
// BENCH_BURST_MB sets the burst (default 20), BENCH_UART_KB the UART sample (default 512).
import WebSocket from 'ws';
import { ConsoleFlags, openConnection, type Connection, type Domain } from '../server/libvirt/index.js';
import { harnessEnv } from '../test/helpers/harness.js';
import { BLAST_UNIT, startEchoGuest } from '../test/libvirt/echo-guest.js';
import { addImageToPool, buildGuestImage, installGuestKernel } from '../test/system/e2e/helpers/guest-image.js';
import { freePort, memoryOf, spawnPanel, waitConnected, writeBenchConfig } from './helpers/panel-process.js';
import { median, ms, percentile, printRow, printTable, type ResultRow } from './helpers/stats.js';

const BURST_BYTES = Number(process.env.BENCH_BURST_MB ?? 20) * 1024 * 1024;
const UART_BYTES = Math.max(1, Math.round(Number(process.env.BENCH_UART_KB ?? 512) / (BLAST_UNIT / 1024))) * BLAST_UNIT;
const ROUND_TRIPS = 200;
const WARM_OPENS = 10;
const USER = { user: 'bench', password: 'bench-consoles-password' };
const AUTH = { 'X-Vmango-User': USER.user, 'X-Vmango-Pass': USER.password };

const env = harnessEnv();
if (!env) {
  console.error('bench/consoles.ts needs the harness: scripts/harness/harness.sh up, then run it with harness.sh exec');
  process.exit(2);
}
const rows: ResultRow[] = [];
const record = (row: ResultRow): void => {
  rows.push(row);
  printRow(row);
};
const mbps = (bytes: number, elapsedMs: number): number => bytes / 1e6 / (elapsedMs / 1000);
const sleep = (msToWait: number) => new Promise((resolve) => setTimeout(resolve, msToWait));

/** One byte stream both ways: the panel's console socket or the binding's console. */
interface ByteLink {
  send(bytes: Buffer): void;
  onData(listener: (chunk: Buffer) => void): void;
  close(): Promise<void>;
}

function bindingLink(console: Awaited<ReturnType<Domain['openConsole']>>): ByteLink {
  return {
    send: (bytes) => void console.write(bytes),
    onData: (listener) => void console.on('data', listener),
    close: async () => {
      console.destroy();
      await sleep(100);
    },
  };
}

/** Waits until `needle` has arrived on the link (bytes after `from` in the joined stream). */
function collector(link: ByteLink) {
  let joined = Buffer.alloc(0);
  let total = 0;
  const waiters = new Set<() => void>();
  link.onData((chunk) => {
    total += chunk.length;
    // Keeps only the tail: a burst is counted, not stored.
    joined = Buffer.concat([joined, chunk]);
    if (joined.length > 64 * 1024) joined = joined.subarray(joined.length - 4096);
    for (const waiter of [...waiters]) waiter();
  });
  return {
    get total() {
      return total;
    },
    clear() {
      joined = Buffer.alloc(0);
    },
    waitFor(needle: string, timeoutMs: number): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!joined.includes(needle)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `"${needle}" did not arrive within ${timeoutMs} ms (last bytes ${JSON.stringify(joined.subarray(-80).toString())})`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

async function roundTrips(link: ByteLink, count: number): Promise<number[]> {
  const seen = collector(link);
  // The first second after an open: QEMU's pty notices its new reader at its next poll.
  for (let i = 0; i < 20; i++) {
    link.send(Buffer.from('w'));
    await sleep(60);
  }
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const marker = String.fromCharCode(65 + (i % 26));
    seen.clear();
    const started = performance.now();
    link.send(Buffer.from(marker));
    await seen.waitFor(marker, 5_000);
    samples.push(performance.now() - started);
  }
  return samples;
}

const conn = await openConnection(env.uri);
const cleanups: (() => Promise<unknown>)[] = [];
const port = await freePort();
const { dir, configPath } = writeBenchConfig(
  {
    provider: 'H',
    uri: env.uri,
    network: env.network,
    imagePool: env.imagePool,
    rootPool: env.rootPool,
    domainType: env.domainType,
    linked: false,
    user: USER.user,
    password: USER.password,
    plan: { name: 'tiny', memoryMiB: 64, cpus: 1, diskGiB: 1 },
  },
  port,
);
const panel = spawnPanel(configPath, dir, port);
cleanups.push(() => panel.stop());

async function machineId(name: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${panel.base}/api/machines/`, { headers: AUTH });
    // 0.6's shape: {"Machines": {"PROVIDER": [ … ]}}
    const body = (await res.json()) as { Machines: Record<string, { Name: string; Id: string }[]> };
    const found = (body.Machines.H ?? []).find((m) => m.Name === name);
    if (found) return found.Id;
    await sleep(100);
  }
  throw new Error(`the panel does not list ${name}`);
}

/** Opens a console through the panel: ticket, then the socket; times each step. */
async function panelConsole(
  id: string,
  force = false,
): Promise<{ link: ByteLink; ticketMs: number; readyMs: number; started: number }> {
  const started = performance.now();
  const res = await fetch(`${panel.base}/api/machines/H/${id}/console/`, {
    method: 'POST',
    headers: { ...AUTH, 'Content-Type': 'application/json' },
    body: JSON.stringify({ Kind: 'serial', Force: force }),
  });
  const ticket = (await res.json()) as { Url: string; Error?: string };
  if (res.status !== 201) throw new Error(`console ticket: ${res.status} ${ticket.Error}`);
  const ticketMs = performance.now() - started;
  const ws = new WebSocket(ticket.Url, { headers: AUTH, perMessageDeflate: false });
  const listeners = new Set<(chunk: Buffer) => void>();
  const ready = new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, answer) => reject(new Error(`console socket refused: ${answer.statusCode}`)));
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        const frame = JSON.parse(data.toString()) as { type: string; message?: string };
        if (frame.type === 'ready') resolve();
        else reject(new Error(`console: ${frame.message ?? frame.type}`));
        return;
      }
      const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      for (const listener of listeners) listener(chunk);
    });
  });
  await ready;
  const readyMs = performance.now() - started;
  const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
  return {
    started,
    ticketMs,
    readyMs,
    link: {
      send: (bytes) => ws.send(bytes),
      onData: (listener) => void listeners.add(listener),
      close: async () => {
        ws.close();
        await closed;
        await sleep(100);
      },
    },
  };
}

/** A Debian guest whose only console is virtio (hvc0), running /bin/sh there. */
async function startBurstGuest(connection: Connection): Promise<Domain> {
  const image = await buildGuestImage({ onProgress: (chunk) => process.stderr.write(chunk) });
  const kernel = await installGuestKernel(image);
  const volumeName = `Debian-12.bench${process.pid}_amd64_qcow2.img`;
  const removeImage = await addImageToPool(env!.uri, { name: env!.imagePool, dir: env!.imageDir }, image, volumeName);
  cleanups.push(removeImage);
  const name = `bcons-burst-${process.pid}`;
  const domain = await connection.defineDomain(`<domain type='${env!.domainType}'>
  <name>${name}</name>
  <memory unit='MiB'>384</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${kernel.kernel}</kernel>
    <initrd>${kernel.initrd}</initrd>
    <cmdline>root=/dev/vda ro console=hvc0 init=/bin/sh</cmdline>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='${env!.imageDir}/${volumeName}'/>
      <target dev='vda' bus='virtio'/>
      <readonly/>
    </disk>
    <console type='pty'><target type='virtio' port='0'/></console>
    <memballoon model='none'/>
  </devices>
</domain>`);
  cleanups.push(async () => {
    await domain.destroy().catch(() => undefined);
    await domain.undefine().catch(() => undefined);
  });
  await domain.start();
  return domain;
}

/** Until the guest's shell answers (the command's own echo cannot match: the shell does the sum). */
async function waitForShell(link: ByteLink, timeoutMs: number): Promise<void> {
  const seen = collector(link);
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    link.send(Buffer.from('echo SHELL-$((40+2))-READY\n'));
    try {
      await seen.waitFor('SHELL-42-READY', 3_000);
      return;
    } catch (err) {
      if (performance.now() > deadline) throw err;
    }
  }
}

/** Asks the guest's shell for `bytes` of output; resolves with the time from the first byte to the end marker. */
async function burst(link: ByteLink, bytes: number, sample?: () => void): Promise<{ elapsedMs: number; received: number }> {
  const seen = collector(link);
  let first = 0;
  link.onData(() => {
    if (first === 0) first = performance.now();
    sample?.();
  });
  await sleep(200);
  const before = seen.total;
  first = 0;
  link.send(
    Buffer.from(`stty -echo -opost; head -c ${bytes} /dev/zero | tr '\\0' x; echo BURST-$((2+3))-DONE; stty echo opost\n`),
  );
  await seen.waitFor('BURST-5-DONE', 600_000);
  return { elapsedMs: performance.now() - first, received: seen.total - before };
}

try {
  await waitConnected(panel, 'H', AUTH);
  const echo = await startEchoGuest(conn, env, `bcons-echo-${process.pid}`);
  cleanups.push(echo.cleanup);
  const echoId = await machineId(echo.domain.name);

  // Open, cold then warm.
  const cold = await panelConsole(echoId);
  let echoed = collector(cold.link);
  cold.link.send(Buffer.from('c'));
  await echoed.waitFor('c', 10_000);
  const coldFirstByte = performance.now() - cold.started;
  await cold.link.close();
  const warmReady: number[] = [];
  const warmFirst: number[] = [];
  for (let i = 0; i < WARM_OPENS; i++) {
    await sleep(1_000);
    const warm = await panelConsole(echoId);
    echoed = collector(warm.link);
    warm.link.send(Buffer.from('o'));
    await echoed.waitFor('o', 10_000);
    warmFirst.push(performance.now() - warm.started);
    warmReady.push(warm.readyMs);
    await warm.link.close();
  }
  record({
    name: 'console open, cold: ticket → ready / first echoed byte',
    figure: `${ms(cold.readyMs)} / ${ms(coldFirstByte)}`,
    target: '-',
    note: 'a fresh SSH login to the hypervisor for the console connection',
  });
  record({
    name: `console open, warm (median of ${WARM_OPENS}): ticket → ready`,
    figure: ms(median(warmReady)),
    target: '≤ 300 ms',
    pass: median(warmReady) <= 300,
    note: `max ${ms(Math.max(...warmReady))}`,
  });
  record({
    name: `console open, warm (median of ${WARM_OPENS}): ticket → first echoed byte`,
    figure: ms(median(warmFirst)),
    target: '≤ 300 ms',
    pass: median(warmFirst) <= 300,
    note: "QEMU's pty looks for a new reader once a second: bytes wait there (none is lost) until it does",
  });
  // Echo round trips: binding alone, then through the panel.
  const direct = bindingLink(await echo.domain.openConsole({ flags: ConsoleFlags.FORCE }));
  const directTrips = await roundTrips(direct, ROUND_TRIPS);
  await direct.close();
  const viaPanel = await panelConsole(echoId, true);
  const panelTrips = await roundTrips(viaPanel.link, ROUND_TRIPS);
  await viaPanel.link.close();
  record({
    name: `keystroke → echo, binding alone (p50 / p99 of ${ROUND_TRIPS})`,
    figure: `${ms(median(directTrips))} / ${ms(percentile(directTrips, 99))}`,
    target: '-',
  });
  record({
    name: `keystroke → echo, through the panel's socket (p50 / p99 of ${ROUND_TRIPS})`,
    figure: `${ms(median(panelTrips))} / ${ms(percentile(panelTrips, 99))}`,
    target: 'p50 ≤ 10 ms',
    pass: median(panelTrips) <= 10,
    note: `${(median(panelTrips) / median(directTrips)).toFixed(2)}× the binding alone`,
  });

  // The UART, for reference: the blast guest answers each byte with BLAST_UNIT bytes.
  const uartGuest = await startEchoGuest(conn, env, `bcons-uart-${process.pid}`, { program: 'blast' });
  cleanups.push(uartGuest.cleanup);
  const uartId = await machineId(uartGuest.domain.name);
  const uart = await panelConsole(uartId);
  await sleep(1_500);
  let uartBytes = 0;
  let uartFirst = 0;
  const uartDone = new Promise<void>((resolve) =>
    uart.link.onData((chunk) => {
      if (uartFirst === 0) uartFirst = performance.now();
      uartBytes += chunk.length;
      if (uartBytes >= UART_BYTES) resolve();
    }),
  );
  uart.link.send(Buffer.from([UART_BYTES / BLAST_UNIT]));
  await uartDone;
  const uartMs = performance.now() - uartFirst;
  await uart.link.close();
  record({
    name: `guest output through a 16550 UART under TCG (${(UART_BYTES / 1024).toFixed(0)} KiB), through the panel`,
    figure: `${mbps(uartBytes, uartMs).toFixed(2)} MB/s`,
    target: '-',
    note: "the guest's port writes set this pace: virtio is the console for bulk output",
  });

  // The burst: virtio console, binding alone, then through the panel.
  const burstGuest = await startBurstGuest(conn);
  const burstId = await machineId(burstGuest.name);
  const directBurst = bindingLink(await burstGuest.openConsole({ flags: ConsoleFlags.FORCE }));
  await waitForShell(directBurst, 300_000);
  const alone = await burst(directBurst, BURST_BYTES);
  await directBurst.close();
  const burstConsole = await panelConsole(burstId, true);
  await waitForShell(burstConsole.link, 60_000);
  const rssBefore = memoryOf(panel.pid).rssMiB;
  let rssPeak = rssBefore;
  let lastSample = 0;
  const through = await burst(burstConsole.link, BURST_BYTES, () => {
    const now = performance.now();
    if (now - lastSample < 50) return;
    lastSample = now;
    rssPeak = Math.max(rssPeak, memoryOf(panel.pid).rssMiB);
  });
  rssPeak = Math.max(rssPeak, memoryOf(panel.pid).rssMiB);
  await burstConsole.link.close();
  const sizeMB = (BURST_BYTES / 1024 / 1024).toFixed(0);
  record({
    name: `${sizeMB} MB burst from a virtio console, binding alone`,
    figure: `${mbps(alone.received, alone.elapsedMs).toFixed(2)} MB/s`,
    target: '-',
    note: `${alone.received} of ${BURST_BYTES} bytes in ${(alone.elapsedMs / 1000).toFixed(2)} s (QEMU drops virtio console output its pty cannot take at once)`,
  });
  const panelRate = mbps(through.received, through.elapsedMs);
  record({
    name: `${sizeMB} MB burst from a virtio console, through the panel's socket`,
    figure: `${panelRate.toFixed(2)} MB/s`,
    target: '≥ 5 MB/s',
    pass: panelRate >= 5,
    note: `${(panelRate / mbps(alone.received, alone.elapsedMs)).toFixed(2)}× the binding alone; ${through.received} of ${BURST_BYTES} bytes in ${(through.elapsedMs / 1000).toFixed(2)} s`,
  });
  record({
    name: 'panel RSS growth during the burst',
    figure: `${(rssPeak - rssBefore).toFixed(1)} MiB (${rssBefore.toFixed(0)} → ${rssPeak.toFixed(0)} MiB)`,
    target: '≤ 20 MB',
    pass: rssPeak - rssBefore <= 20,
  });
  console.log('');
  printTable(rows);
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => console.error('cleanup:', err));
  await conn.close();
}
