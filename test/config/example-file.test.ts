import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config/index.js';
import { HYPERVISOR_KEYS } from '../../server/config/hypervisor.js';
import { TOP_LEVEL_KEYS } from '../../server/config/parse-config.js';
import { PLAN_KEYS } from '../../server/config/plan.js';
import { SSH_KEY_KEYS } from '../../server/config/ssh-key.js';
import { USER_KEYS } from '../../server/config/user.js';
import { configViolations } from './invariants.js';

const repoFile = (name: string): string => fileURLToPath(new URL(`../../${name}`, import.meta.url));
/** Other spellings, documented next to the key they stand for. */
const ALIASES: Record<string, string> = { ignored_vms: 'ignore_vms' };
const ALL_KEYS = [...TOP_LEVEL_KEYS, ...HYPERVISOR_KEYS, ...PLAN_KEYS, ...USER_KEYS, ...SSH_KEY_KEYS].filter(
  (k) => !(k in ALIASES),
);

describe('vmango.conf.example', () => {
  const text = readFileSync(repoFile('vmango.conf.example'), 'utf8');

  it('is refused while its session_secret is the placeholder, saying how to make one', () => {
    expect(() => loadConfig(repoFile('vmango.conf.example'))).toThrow(
      /session_secret: is the example's placeholder.*head -c 32 \/dev\/urandom \| base64/s,
    );
  });

  it('loads, with the templates of the repository, once the secret is filled in', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmango-example-'));
    const path = join(dir, 'vmango.conf');
    writeFileSync(
      path,
      text
        .replace(/session_secret = "[^"]*"/, 'session_secret = "test-secret-0123456789abcdef0123456789"')
        .replaceAll('"templates/', `"${repoFile('templates/')}`),
    );
    const config = loadConfig(path);
    expect(configViolations(config)).toEqual([]);
    expect(config.hypervisors[0]?.vmTemplatePath).toBe(repoFile('templates/vm.xml.in'));
    expect(config.hypervisors[0]?.volumeTemplatePath).toBe(repoFile('templates/volume.xml.in'));
    expect(config.plans.map((p) => p.name).sort()).toEqual(['large', 'medium', 'small']);
  });

  it.each(ALL_KEYS)('documents %s with a comment', (key) => {
    const lines = text.split('\n');
    const index = lines.findIndex((l) => new RegExp(`^\\s*(# )?${key}( "[^"]*")? [={]`).test(l));
    expect(index, `no line setting ${key}`).toBeGreaterThanOrEqual(0);
    // The nearest line above, skipping the opening line of the enclosing block, must be a comment.
    const above =
      lines
        .slice(0, index)
        .reverse()
        .find((l) => !/^\s*[a-z_]+ "[^"]*" \{$/.test(l)) ?? '';
    expect(above, `${key} has no comment`).toMatch(/^\s*# /);
  });

  it.each(Object.entries(ALIASES))('mentions the other spelling %s of %s', (alias, key) => {
    const keyLine = text.split('\n').findIndex((l) => l.trim().startsWith(`${key} =`));
    expect(
      text
        .split('\n')
        .slice(keyLine - 3, keyLine)
        .join('\n'),
    ).toContain(alias);
  });
});

describe('the configuration reference in README.md', () => {
  const text = readFileSync(repoFile('README.md'), 'utf8');
  it.each(ALL_KEYS)('has a table row for %s', (key) => {
    expect(text).toMatch(new RegExp(`^\\| \`${key}(( "NAME")? \\{\\})?\` \\|`, 'm'));
  });
  it.each(Object.entries(ALIASES))('mentions the other spelling %s in the row of %s', (alias, key) => {
    expect(text).toMatch(new RegExp(`^\\| \`${key}\` \\|.*\`${alias}\``, 'm'));
  });
});
