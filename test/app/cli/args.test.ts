import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../../server/app/cli/args.js';

describe('command-line flags with Go flag semantics', () => {
  it('accepts one or two dashes and both value forms', () => {
    for (const argv of [['-config', 'a.conf'], ['--config', 'a.conf'], ['-config=a.conf'], ['--config=a.conf']]) {
      expect(parseArgs(argv).config).toBe('a.conf');
    }
  });

  it('reads -check, -loglevel and the subcommand with its own arguments', () => {
    const args = parseArgs(['-loglevel', 'debug', '-check', 'genpw', 'secret']);
    expect(args).toMatchObject({ check: true, logLevel: 'debug', command: 'genpw', commandArgs: ['secret'] });
  });

  it('stops at the first non-flag word, so flags after the command belong to it', () => {
    expect(parseArgs(['genpw', '-check']).commandArgs).toEqual(['-check']);
    expect(parseArgs(['genpw', '-check']).check).toBe(false);
  });

  it('defaults to info logging and no check', () => {
    expect(parseArgs([])).toMatchObject({ check: false, logLevel: 'info', help: false, version: false });
  });

  it('rejects an unknown flag, naming it and the known ones', () => {
    expect(() => parseArgs(['-bogus'])).toThrow(UsageError);
    expect(() => parseArgs(['-bogus'])).toThrow(/flag provided but not defined: -bogus \(known flags: .*-config/);
  });

  it('rejects a flag without its value and a bad log level', () => {
    expect(() => parseArgs(['-config'])).toThrow(/flag needs an argument: -config/);
    expect(() => parseArgs(['-loglevel', 'loud'])).toThrow(/use one of panic, fatal, error, warn, info, debug/);
  });

  it('takes -check=false and rejects a non-boolean', () => {
    expect(parseArgs(['-check=false']).check).toBe(false);
    expect(() => parseArgs(['-check=maybe'])).toThrow(/invalid boolean value "maybe" for -check/);
  });

  it('treats -- as the end of flags', () => {
    const args = parseArgs(['--', '-config']);
    expect(args.command).toBe('-config');
    expect(args.config).toBeUndefined();
  });
});
