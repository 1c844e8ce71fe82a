/**
 * Rotation in the real vmango process: after logrotate moves the audit file away, SIGHUP makes the
 * panel write a new one at the path, starting with the reload's own entry.
 */
import { existsSync, mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '../../../bench/helpers/panel-process.js';
import { spawnPanelProcess, waitUntil } from '../../helpers/panel-process.js';
import { accessConfigText, USERS } from '../access/access-fixture.js';

let proc: ReturnType<typeof spawnPanelProcess>;
let file: string;
beforeAll(async () => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'vmango-audit-hup-'));
  file = join(dir, 'audit.jsonl');
  proc = spawnPanelProcess(dir, 'hup', `listen = "127.0.0.1:${port}"\naudit_log = "${file}"\n${accessConfigText()}`, port);
  await waitUntil(
    async () => (await fetch(`${proc.base}/healthz`).catch(() => undefined))?.ok === true,
    30_000,
    'the panel to start',
  );
}, 60_000);
afterAll(async () => {
  await proc?.stop();
});

const actions = (path: string): string[] =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { action: string }).action)
    : [];

async function failedLogin(): Promise<void> {
  const res = await fetch(`${proc.base}/api/machines/`, { headers: { 'X-Vmango-User': USERS.viewer, 'X-Vmango-Pass': 'wrong' } });
  expect(res.status).toBe(401);
}

it('reopens the audit file on SIGHUP after it was moved away', async () => {
  await failedLogin();
  await expect.poll(() => actions(file)).toEqual(['login.failed']);
  renameSync(file, `${file}.1`);
  proc.child.kill('SIGHUP');
  await expect.poll(() => actions(file), { timeout: 10_000 }).toEqual(['config.reload']);
  await failedLogin();
  await expect.poll(() => actions(file)).toEqual(['config.reload', 'login.failed']);
  expect(actions(`${file}.1`)).toEqual(['login.failed']);
}, 30_000);
