/**
 * The access fixture's panel with an audit log file, an auditor scoped to EAST, and tokens made by
 * `vmango gentoken`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'vitest';
import { runGentoken } from '../../../server/app/cli/gentoken.js';
import { parseConfig, type Config } from '../../../server/config/index.js';
import { REPO } from '../api/panel-fixture.js';
import { accessConfigText, PASSWORD, USERS } from '../access/access-fixture.js';
import { hashPassword } from '../../../server/services/auth/password-hash.js';

/** Reads the audit log on EAST only. */
export const AUDITOR = 'ella';

/** Runs `vmango gentoken ARGS`: the token, its id and the config block it printed. */
export function gentoken(...args: string[]): { token: string; id: string; block: string } {
  let out = '';
  const sink = new Writable({ write: (chunk, _e, done) => ((out += String(chunk)), done()) });
  const code = runGentoken(args, {
    stdout: sink as unknown as NodeJS.WriteStream,
    stderr: sink as unknown as NodeJS.WriteStream,
  });
  expect(code, out).toBe(0);
  const token = /^ {2}(vmt_\S+)$/m.exec(out)?.[1];
  const block = /^token "[^"]+" \{[\s\S]*?^\}$/m.exec(out)?.[0];
  const id = /^token "([^"]+)"/m.exec(block ?? '')?.[1];
  expect(token && block && id).toBeTruthy();
  return { token: token!, id: id!, block: block! };
}

/** A config with `audit_log` in a new directory, an EAST auditor and `extra` blocks. */
export function auditTestConfig(extra = '', auditLog?: string): { config: Config; file: string } {
  const file = auditLog ?? join(mkdtempSync(join(tmpdir(), 'vmango-audit-')), 'audit.jsonl');
  const text = `${accessConfigText(`
role "auditor" {
  permissions = ["list", "view", "audit-read"]
}
user "${AUDITOR}" {
  password = "${hashPassword(PASSWORD)}"
  grant {
    role = "auditor"
    hypervisors = ["EAST"]
  }
}
${extra}`)}
audit_log = "${file}"
`;
  return { config: parseConfig(text, { filename: 'audit-test.conf', baseDir: REPO }), file };
}

export { USERS, PASSWORD };
