/**
 * An audit file on a disk that takes nothing (a FIFO whose reader never reads): requests answer as
 * fast as ever, entries past the bound are dropped, counted and logged, and stay queryable.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestPanel } from '../../helpers/panel.js';
import { WEB1_ID } from '../api/panel-fixture.js';
import { as } from '../access/access-fixture.js';
import { auditTestConfig, USERS } from './audit-fixture.js';

let panel: Awaited<ReturnType<typeof startTestPanel>>;
let reader: number | undefined;
beforeAll(async () => {
  const fifo = join(mkdtempSync(join(tmpdir(), 'vmango-audit-fifo-')), 'audit.fifo');
  execFileSync('mkfifo', [fifo]);
  reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  panel = await startTestPanel(auditTestConfig('', fifo).config, { audit: { maxPendingBytes: 4096 } });
});
afterAll(async () => {
  if (reader !== undefined) closeSync(reader); // ends the blocked write (EPIPE)
  await panel?.close();
});

it('does not stall requests; drops are counted and logged', async () => {
  let slowest = 0;
  // About 300 bytes an entry: 400 of them fill the 64 KiB pipe and the 4 KiB bound several times over.
  for (let i = 0; i < 400; i++) {
    const started = performance.now();
    const res = await fetch(`${panel.base}/api/machines/DEMO/${WEB1_ID}/reboot/`, { method: 'POST', headers: as(USERS.full) });
    expect(res.status).toBe(200);
    await res.text();
    slowest = Math.max(slowest, performance.now() - started);
  }
  expect(slowest).toBeLessThan(1000);
  expect(panel.audit.droppedLines).toBeGreaterThan(100);
  expect(panel.lines.some((line) => String(line.msg).startsWith('audit log: the disk does not keep up'))).toBe(true);
  expect(panel.audit.query({ action: 'machine.power', limit: 500 }).entries.length).toBe(400);
});
