/**
 * `vmango events` against a real panel (libvirt's test driver) through a TCP proxy the test can
 * cut: a real command (a node script appending to a file) runs once per event, in order, with the
 * event on stdin and in its environment; after a drop it reconnects with Last-Event-ID and misses
 * nothing; --events filters; bad credentials end it with 1.
 */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEvents } from '../../../server/app/cli/events.js';
import { runCli } from '../../../server/app/cli/main.js';
import { startTestPanel } from '../../helpers/panel.js';
import { ADMIN, apiTestConfig, authHeaders, LEGACY_ID, WEB1_ID } from '../../http/api/panel-fixture.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const until = async (what: string, check: () => boolean, timeoutMs = 10_000) => {
  for (const deadline = Date.now() + timeoutMs; !check();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
};

/** Forwards 127.0.0.1:port to the panel; `cut` ends every connection, `down` refuses new ones. */
async function proxyTo(port: number) {
  const sockets = new Set<Socket>();
  let down = false;
  const server = createServer((client) => {
    if (down) return client.destroy();
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    cut(stayDown: boolean) {
      down = stayDown;
      for (const s of sockets) s.destroy();
    },
    up() {
      down = false;
    },
    close: () => new Promise<void>((resolve) => (sockets.forEach((s) => s.destroy()), server.close(() => resolve()))),
  };
}

function capture() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  return { stdout, stderr, out: () => out, err: () => err };
}

const dir = mkdtempSync(join(tmpdir(), 'vmango-events-cli-'));
const script = join(dir, 'hook.mjs');
// The real command: appends what it was given, one JSON line per run; slow enough that runs would overlap if not serialized.
writeFileSync(
  script,
  `import { appendFileSync } from 'node:fs';
let stdin = '';
process.stdin.on('data', (d) => (stdin += d));
process.stdin.on('end', () => {
  const { VMANGO_EVENT, VMANGO_EVENT_ID, VMANGO_MACHINE, VMANGO_PROVIDER, VMANGO_MACHINE_NAME } = process.env;
  const started = Date.now();
  setTimeout(() => {
    appendFileSync(process.argv[2], JSON.stringify({ VMANGO_EVENT, VMANGO_EVENT_ID, VMANGO_MACHINE, VMANGO_PROVIDER, VMANGO_MACHINE_NAME, stdin, started, ended: Date.now(), args: process.argv.slice(3) }) + '\\n');
  }, 50);
});
`,
);
const runsIn = (file: string) =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, string> & { started: number; ended: number; args: string[] })
    : [];

let panel: Awaited<ReturnType<typeof startTestPanel>>;
let proxy: Awaited<ReturnType<typeof proxyTo>>;
beforeAll(async () => {
  panel = await startTestPanel(apiTestConfig(), {
    pages: false,
    connections: { backoffInitialMs: 60_000, backoffMaxMs: 60_000 },
  });
  proxy = await proxyTo(Number(new URL(panel.base).port));
});
afterAll(async () => {
  await proxy?.close();
  await panel?.close();
});

const power = (action: string, id = WEB1_ID) =>
  fetch(`${panel.base}/api/machines/DEMO/${id}/${action}/`, { method: 'POST', headers: authHeaders() });
/** Waits until the journal has one more event than `before`, and a moment for stragglers. */
async function journaled(change: () => Promise<unknown>): Promise<string> {
  const before = panel.events.lastId;
  await change();
  await until('the event', () => panel.events.lastId !== before);
  await sleep(300);
  return panel.events.lastId;
}

describe('vmango events', () => {
  it('runs the command once per event, in order, one at a time, and resumes after a drop without missing one', async () => {
    const out = join(dir, 'all.jsonl');
    const io = capture();
    const stop = new AbortController();
    const following = runEvents(
      ['--url', `http://127.0.0.1:${proxy.port}`, '--user', ADMIN.user, '--', process.execPath, script, out, 'a b', '$HOME;x'],
      { stdout: io.stdout, stderr: io.stderr, env: { ...process.env, VMANGO_PASS: ADMIN.password } },
      { stop: stop.signal, reconnectInitialMs: 100, reconnectMaxMs: 200 },
    );
    try {
      await until('the stream', () => panel.streams.openCount === 1);
      const ids = [await journaled(() => power('stop')), await journaled(() => power('start'))];
      await until('two runs', () => runsIn(out).length === 2);
      // The stream drops and stays down while three changes happen.
      proxy.cut(true);
      await until('the stream to close', () => panel.streams.openCount === 0);
      ids.push(await journaled(() => power('pause', LEGACY_ID)));
      ids.push(await journaled(() => power('resume', LEGACY_ID)));
      ids.push(await journaled(() => power('stop')));
      proxy.up();
      await until('five runs', () => runsIn(out).length >= 5);
      await sleep(500);
      const runs = runsIn(out);
      expect(runs.map((r) => r.VMANGO_EVENT_ID)).toEqual(ids);
      expect(runs.map((r) => r.VMANGO_EVENT)).toEqual(Array(5).fill('machine.state'));
      expect(runs.map((r) => r.VMANGO_MACHINE)).toEqual([WEB1_ID, WEB1_ID, LEGACY_ID, LEGACY_ID, WEB1_ID]);
      expect(runs[0]).toMatchObject({ VMANGO_PROVIDER: 'DEMO', VMANGO_MACHINE_NAME: 'web-1', args: ['a b', '$HOME;x'] });
      expect(JSON.parse(String(runs[0]!.stdin))).toMatchObject({
        id: ids[0],
        event: 'machine.state',
        machine: { Id: WEB1_ID, State: 'stopped' },
      });
      // One at a time: each run started after the one before had ended.
      for (let i = 1; i < runs.length; i++) expect(runs[i]!.started).toBeGreaterThanOrEqual(runs[i - 1]!.ended);
      expect(io.err()).toMatch(/reconnecting in \d+ ms/);
      expect(io.err()).not.toMatch(/reset|could not replay/);
    } finally {
      stop.abort();
      expect(await following).toBe(0);
      await power('start');
      await sleep(300);
    }
  }, 60_000);

  it('filters with --events, prints JSON lines without a command, and says a reset', async () => {
    const io = capture();
    const stop = new AbortController();
    const token = { ...process.env, VMANGO_USER: ADMIN.user, VMANGO_PASS: ADMIN.password };
    const following = runEvents(
      ['--url', panel.base, '--events', 'machine.changed,reset', '--since', 'abcdef01-1'],
      { stdout: io.stdout, stderr: io.stderr, env: token },
      { stop: stop.signal },
    );
    try {
      await until('the reset', () => io.err().includes('could not replay'));
      await journaled(() => power('pause', LEGACY_ID));
      const changed = await journaled(() =>
        fetch(`${panel.base}/api/machines/DEMO/${LEGACY_ID}/`, {
          method: 'PATCH',
          headers: { ...authHeaders(), 'Content-Type': 'application/json' },
          body: JSON.stringify({ AddTags: ['cli'] }),
        }),
      );
      await until('the printed event', () => io.out().includes(changed));
      const lines = io
        .out()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { event?: string; id?: string; reason?: string });
      expect(lines.map((l) => l.event)).toEqual(['reset', 'machine.changed']);
      expect(lines[1]!.id).toBe(changed);
    } finally {
      stop.abort();
      await following;
      await power('resume', LEGACY_ID);
    }
  }, 30_000);

  it('ends with 1 on wrong credentials, and 2 on a usage mistake naming it', async () => {
    const io = capture();
    const code = await runEvents(['--url', panel.base, '--user', ADMIN.user], {
      stdout: io.stdout,
      stderr: io.stderr,
      env: { VMANGO_PASS: 'wrong' },
    });
    expect(code).toBe(1);
    expect(io.err()).toMatch(/the panel answered 401/);
    const usage = capture();
    const cli = await runCli(['events', '--url', panel.base, '--token', 'x', '--events', 'vm.boom'], {
      stdin: new PassThrough() as unknown as NodeJS.ReadStream,
      stdout: usage.stdout as unknown as NodeJS.WriteStream,
      stderr: usage.stderr as unknown as NodeJS.WriteStream,
      env: {},
      cwd: dir,
    });
    expect(cli).toBe(2);
    expect(usage.err()).toMatch(/--events: unknown event "vm\.boom"; the events are machine\.created, .*reset/);
  });
});
