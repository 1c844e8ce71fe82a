/** The `audit_log` config key: a file path (relative to the config's directory), never a directory or a non-string. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../server/config/index.js';

const BASE = 'session_secret = "audit-config-test-0123456789abcdef"\n';

function problems(text: string, baseDir = '/etc/vmango'): string[] {
  try {
    parseConfig(BASE + text, { filename: 'vmango.conf', baseDir });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

describe('audit_log', () => {
  it('is optional, and a path relative to the config file', () => {
    expect(parseConfig(BASE, { filename: 'vmango.conf', baseDir: '/etc/vmango' }).auditLog).toBeUndefined();
    const config = parseConfig(`${BASE}audit_log = "log/audit.jsonl"\n`, { filename: 'vmango.conf', baseDir: '/etc/vmango' });
    expect(config.auditLog).toBe('/etc/vmango/log/audit.jsonl');
  });

  it('refuses a non-string, an empty string and a directory, saying what it takes', () => {
    expect(problems('audit_log = 5\n')).toEqual([
      'audit_log: must be a quoted string (the path of a file the panel appends JSON lines to, e.g. "/var/log/vmango/audit.jsonl"), got the number 5',
    ]);
    expect(problems('audit_log = ""\n')[0]).toMatch(/^audit_log: must not be empty: set it to the path of a file/);
    const dir = mkdtempSync(join(tmpdir(), 'vmango-audit-dir-'));
    expect(problems(`audit_log = "${dir}"\n`)).toEqual([
      `audit_log: ${dir} is a directory; name a file in it, e.g. "${join(dir, 'audit.jsonl')}"`,
    ]);
  });
});
