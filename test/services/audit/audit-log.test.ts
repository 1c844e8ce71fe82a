/**
 * The audit log service: JSON lines with every field, a new file after rotation, history read back
 * at start, queries (filters, newest first, paging), the window's bound, token use once a minute,
 * failed logins bounded per address, and a disk that takes nothing never stalls record().
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../server/core/audit.js';
import { ServiceError } from '../../../server/core/service-error.js';
import { AuditLog, FAILED_LOGINS_PER_MINUTE } from '../../../server/services/audit/audit-log.js';
import { capturedLogger } from '../../helpers/loggers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vmango-audit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const FULL: AuditEntry = {
  time: '2026-05-01T12:00:00.000Z',
  action: 'machine.power',
  outcome: 'refused',
  user: 'vera',
  token: 'ci-bot',
  address: '192.0.2.7',
  provider: 'DEMO',
  machine: '4fe884940a384a15b039f94a9bea4934',
  machineName: 'web-1',
  durationMs: 3,
  error: "user vera may not stop machine web-1: that needs the 'power' permission",
  detail: { action: 'stop' },
};

function entry(n: number, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    time: new Date(Date.UTC(2026, 4, 1, 0, n)).toISOString(),
    action: n % 2 === 0 ? 'machine.power' : 'snapshot.create',
    outcome: 'ok',
    user: n % 3 === 0 ? 'ada' : 'otto',
    provider: n % 2 === 0 ? 'DEMO' : 'EAST',
    machine: `${String(n).padStart(2, '0')}${'a'.repeat(30)}`,
    machineName: `vm-${n}`,
    durationMs: n,
    ...over,
  };
}

function lines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Until the file holds `count` lines (the stream writes in the background). */
async function fileHas(path: string, count: number): Promise<void> {
  await expect.poll(() => (existsSync(path) ? lines(path).length : 0)).toBe(count);
}

describe('the audit file', () => {
  it('holds one valid JSON line per entry, with every field', async () => {
    const path = join(dir, 'audit.jsonl');
    const log = new AuditLog({ path });
    log.record(FULL);
    log.record({ time: FULL.time, action: 'config.reload', outcome: 'ok', durationMs: 0 });
    await fileHas(path, 2);
    const [first, second] = lines(path);
    expect(first).toEqual(FULL);
    expect(Object.keys(first!).sort()).toEqual(
      [
        'action',
        'address',
        'detail',
        'durationMs',
        'error',
        'machine',
        'machineName',
        'outcome',
        'provider',
        'time',
        'token',
        'user',
      ].sort(),
    );
    expect(second).toEqual({ time: FULL.time, action: 'config.reload', outcome: 'ok', durationMs: 0 });
    log.close();
  });

  it('starts a new file at its path when reopened after the old one was moved away (rotation)', async () => {
    const path = join(dir, 'audit.jsonl');
    const log = new AuditLog({ path });
    log.record(entry(1));
    await fileHas(path, 1);
    renameSync(path, `${path}.1`);
    log.record(entry(2)); // still the old (moved) file: it is open until the reopen
    await fileHas(`${path}.1`, 2);
    log.reopen();
    log.record(entry(3));
    await fileHas(path, 1);
    expect(lines(path)[0]!.machineName).toBe('vm-3');
    expect(lines(`${path}.1`).map((line) => line.machineName)).toEqual(['vm-1', 'vm-2']);
    log.close();
  });

  it('reads its tail back at start: history survives a restart (a broken line is skipped)', async () => {
    const path = join(dir, 'audit.jsonl');
    const first = new AuditLog({ path });
    for (let n = 0; n < 5; n++) first.record(entry(n));
    await fileHas(path, 5);
    first.close();
    execFileSync('sh', ['-c', `printf '{"broken\\n' >> ${path}`]);
    const second = new AuditLog({ path });
    expect(second.query({}).entries.map((e) => e.machineName)).toEqual(['vm-4', 'vm-3', 'vm-2', 'vm-1', 'vm-0']);
    second.close();
  });
});

describe('queries', () => {
  const log = new AuditLog({});
  for (let n = 0; n < 25; n++) log.record(entry(n));

  it('are newest first and filter by user, provider, machine (id or name), action and time', () => {
    expect(log.query({ limit: 3 }).entries.map((e) => e.machineName)).toEqual(['vm-24', 'vm-23', 'vm-22']);
    expect(log.query({ user: 'ada' }).entries.every((e) => e.user === 'ada')).toBe(true);
    expect(log.query({ user: 'ada' }).entries.length).toBe(9);
    expect(log.query({ provider: 'EAST' }).entries.length).toBe(12);
    expect(log.query({ machine: 'vm-7' }).entries.map((e) => e.machineName)).toEqual(['vm-7']);
    expect(log.query({ machine: entry(7).machine }).entries.map((e) => e.machineName)).toEqual(['vm-7']);
    expect(log.query({ action: 'snapshot.create', provider: 'DEMO' }).entries).toEqual([]);
    const window = log.query({ since: entry(10).time, until: entry(12).time }).entries;
    expect(window.map((e) => e.machineName)).toEqual(['vm-12', 'vm-11', 'vm-10']);
  });

  it('page with an opaque cursor: every entry once, then no cursor', () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = log.query({ limit: 10, ...(cursor === undefined ? {} : { cursor }) });
      seen.push(...page.entries.map((e) => e.machineName!));
      cursor = page.next;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `vm-${24 - i}`));
    // A filter pages the same way.
    const first = log.query({ provider: 'DEMO', limit: 5 });
    const second = log.query({ provider: 'DEMO', limit: 5, cursor: first.next! });
    expect([...first.entries, ...second.entries].map((e) => e.machineName)).toEqual(
      [24, 22, 20, 18, 16, 14, 12, 10, 8, 6].map((n) => `vm-${n}`),
    );
  });

  it('cap the limit and refuse bad values naming the field and what is allowed', () => {
    const many = new AuditLog({});
    for (let n = 0; n < 600; n++) many.record(entry(n % 60));
    expect(many.query({ limit: 10_000 }).entries.length).toBe(500);
    expect(many.query({}).entries.length).toBe(100);
    const refusal = (query: Parameters<AuditLog['query']>[0]): string => {
      try {
        log.query(query);
      } catch (err) {
        expect(err).toBeInstanceOf(ServiceError);
        expect((err as ServiceError).kind).toBe('bad-request');
        return (err as Error).message;
      }
      throw new Error('not refused');
    };
    expect(refusal({ action: 'machine.explode' as never })).toMatch(/^action: .*one of machine\.create, machine\.delete/);
    expect(refusal({ limit: 0 })).toMatch(/^limit: must be a whole number from 1 to 500/);
    expect(refusal({ since: 'yesterday' })).toMatch(/^since: 'yesterday' is not an ISO 8601 time/);
    expect(refusal({ until: '2026-13-45T99:00:00Z' })).toMatch(/^until: /);
    expect(refusal({ cursor: 'not-a-cursor' })).toMatch(/^cursor: not a cursor this panel gave/);
  });

  it('keep a bounded window of the most recent entries', () => {
    const small = new AuditLog({ window: 5 });
    for (let n = 0; n < 12; n++) small.record(entry(n));
    expect(small.window.size).toBe(5);
    expect(small.query({}).entries.map((e) => e.machineName)).toEqual(['vm-11', 'vm-10', 'vm-9', 'vm-8', 'vm-7']);
  });
});

describe('bounds', () => {
  it('records a token’s use at most once a minute', () => {
    const log = new AuditLog({});
    for (let i = 0; i < 50; i++) log.tokenUsed({ user: 'otto', token: 'ci-bot', address: '127.0.0.1' });
    log.tokenUsed({ user: 'otto', token: 'other', address: '127.0.0.1' });
    const uses = log.query({ action: 'token.use' }).entries;
    expect(uses.map((e) => e.token)).toEqual(['other', 'ci-bot']);
  });

  it('records at most FAILED_LOGINS_PER_MINUTE failed logins from one address a minute', () => {
    const log = new AuditLog({});
    const failed = (address: string): AuditEntry => ({
      time: new Date().toISOString(),
      action: 'login.failed',
      outcome: 'refused',
      token: 'guess',
      address,
      durationMs: 0,
    });
    for (let i = 0; i < FAILED_LOGINS_PER_MINUTE + 40; i++) log.record(failed('203.0.113.9'));
    log.record(failed('198.51.100.1'));
    expect(log.query({ action: 'login.failed', limit: 500 }).entries.length).toBe(FAILED_LOGINS_PER_MINUTE + 1);
    expect(log.suppressedFailures).toBe(40);
  });

  /** Records 8000 entries (about 2.4 MB) in rounds of 20, giving the disk a turn between rounds. */
  async function steadyWrites(log: AuditLog): Promise<number> {
    let slowest = 0;
    for (let round = 0; round < 400; round++) {
      for (let n = 0; n < 20; n++) {
        const started = performance.now();
        log.record(entry(n, { detail: { padding: 'x'.repeat(200) } }));
        slowest = Math.max(slowest, performance.now() - started);
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return slowest;
  }

  it('a disk that keeps up drops nothing', async () => {
    const path = join(dir, 'audit.jsonl');
    const log = new AuditLog({ path });
    await steadyWrites(log);
    await fileHas(path, 8000);
    expect(log.droppedLines).toBe(0);
    log.close();
  });

  it('a disk that takes nothing (a FIFO nobody reads) never stalls record(): lines are dropped, counted and logged', async () => {
    const fifo = join(dir, 'audit.fifo');
    execFileSync('mkfifo', [fifo]);
    // A reader that never reads: the writer's open succeeds, its writes block once the pipe is full.
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const { logger, lines: logLines } = capturedLogger('info');
    const log = new AuditLog({ path: fifo, logger });
    try {
      const slowest = await steadyWrites(log);
      expect(slowest).toBeLessThan(20);
      // The pipe holds 64 KiB and the queue 1 MiB (the default bound) of the 2.4 MB: the rest is dropped.
      expect(log.droppedLines).toBeGreaterThan(3000);
      // Every entry is still there for queries.
      expect(log.query({ limit: 500 }).entries.length).toBe(500);
      expect(logLines.some((line) => String(line.msg).startsWith('audit log: the disk does not keep up'))).toBe(true);
    } finally {
      closeSync(reader); // the blocked write ends (EPIPE), so nothing is left hanging
      log.close();
    }
  });
});
