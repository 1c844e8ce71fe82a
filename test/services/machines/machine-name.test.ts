import { describe, expect, it } from 'vitest';
import { machineNameProblem, MAX_USERDATA_BYTES, userdataProblem } from '../../../server/services/machines/machine-name.js';

describe('machine names', () => {
  it('accepts hostname labels', () => {
    for (const name of ['a', 'testapi', 'web-1', '0', '9x', 'a'.repeat(63), 'a-b-c']) {
      expect(machineNameProblem(name)).toBeUndefined();
    }
  });

  it('names the rule for every kind of bad name', () => {
    expect(machineNameProblem('')).toBe(
      'machine name is required; it must be a hostname label: 1 to 63 characters of a-z, 0-9 and "-", not starting or ending with "-"',
    );
    expect(machineNameProblem('a'.repeat(64))).toMatch(
      /^machine name is 64 characters long; it must be a hostname label: 1 to 63/,
    );
    expect(machineNameProblem('bad name!<x>')).toMatch(/^machine name contains " " at position 4; it must be a hostname label/);
    expect(machineNameProblem('Web')).toMatch(/^machine name contains "W" at position 1 \(upper-case letters are not allowed\)/);
    expect(machineNameProblem('a_b')).toMatch(/contains "_" at position 2/);
    expect(machineNameProblem('a.example')).toMatch(/contains "\." at position 2/);
    expect(machineNameProblem('ünï')).toMatch(/contains "ü" at position 1/);
    expect(machineNameProblem('-a')).toMatch(/^machine name "-a" starts with "-"/);
    expect(machineNameProblem('a-')).toMatch(/^machine name "a-" ends with "-"/);
    expect(machineNameProblem('a\n')).toMatch(/contains "\\n" at position 2/);
    expect(machineNameProblem('x y')).toMatch(/contains " " at position 2/);
  });
});

describe('userdata', () => {
  it('accepts up to the limit, counted in UTF-8 bytes', () => {
    expect(MAX_USERDATA_BYTES).toBe(65536);
    expect(userdataProblem('a'.repeat(MAX_USERDATA_BYTES))).toBeUndefined();
    expect(userdataProblem('#cloud-config\nruncmd: ["echo ]]> \'x\' ключ"]\n')).toBeUndefined();
    expect(userdataProblem('a'.repeat(MAX_USERDATA_BYTES + 1))).toBe(
      'userdata is 65537 bytes; at most 65536 bytes (64 KiB) are allowed',
    );
    expect(userdataProblem('я'.repeat(MAX_USERDATA_BYTES / 2 + 1))).toMatch(/^userdata is 65538 bytes/);
    expect(userdataProblem('abcd', 2)).toMatch(/at most 2 bytes/);
  });

  it('refuses characters the domain metadata cannot store', () => {
    expect(userdataProblem('a\u0000')).toMatch(/^userdata contains U\+0000 at position 1/);
    expect(userdataProblem('\u0007')).toMatch(/^userdata contains U\+0007 at position 0/);
    expect(userdataProblem('fine\r\n\t')).toBeUndefined();
  });
});
