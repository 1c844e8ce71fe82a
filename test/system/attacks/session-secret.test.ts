/**
 * Attack (issue 12): the example's placeholder session_secret was accepted by `vmango -check` and
 * the server, and sessions are signed with it: anyone who read the example could mint an admin
 * session. Short secrets are as guessable.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type ConfigError, parseConfig } from '../../../server/config/index.js';

const EXAMPLE = readFileSync(fileURLToPath(new URL('../../../vmango.conf.example', import.meta.url)), 'utf8');
const PLACEHOLDER = /session_secret = "([^"]*)"/.exec(EXAMPLE)![1]!;

function problemsFor(secret: string): string[] {
  try {
    parseConfig(`session_secret = ${JSON.stringify(secret)}\n`, { filename: 't.conf', baseDir: '/' });
    return [];
  } catch (err) {
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
}

describe('session_secret', () => {
  it("refuses the example's placeholder, with the command that makes a good one", () => {
    expect(problemsFor(PLACEHOLDER)).toEqual([
      expect.stringMatching(/^session_secret: is the example's placeholder.*head -c 32 \/dev\/urandom \| base64/),
    ]);
  });

  it('refuses anything shorter than 32 bytes', () => {
    expect(problemsFor('changeme')).toEqual([
      expect.stringMatching(/^session_secret: is 8 bytes long; it must be at least 32 bytes/),
    ]);
    expect(problemsFor('x'.repeat(31))).toHaveLength(1);
    expect(problemsFor('x'.repeat(32))).toEqual([]);
  });
});
