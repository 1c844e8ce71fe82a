/**
 * Command-line parsing with Go `flag` semantics, as vmango 0.6 had: `-flag` and
 * `--flag` are the same, values follow as `-config FILE` or `-config=FILE`, and
 * flags stop at the first non-flag word (the subcommand).
 */
import { LOG_LEVELS, type LogLevel } from '../../core/log.js';

export interface CliArgs {
  config?: string;
  check: boolean;
  logLevel: LogLevel;
  help: boolean;
  version: boolean;
  command?: string;
  commandArgs: string[];
}

export class UsageError extends Error {}

const VALUE_FLAGS = new Set(['config', 'loglevel']);
const BOOL_FLAGS = new Set(['check', 'help', 'h', 'version']);
const ALL_FLAGS = [...VALUE_FLAGS, ...BOOL_FLAGS].map((f) => `-${f}`).join(', ');

export function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { check: false, logLevel: 'info', help: false, version: false, commandArgs: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      i++;
      break;
    }
    if (!word.startsWith('-') || word === '-') break;
    const body = word.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const inline = eq === -1 ? undefined : body.slice(eq + 1);
    if (VALUE_FLAGS.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`flag needs an argument: -${name}`);
      if (name === 'config') args.config = value;
      else args.logLevel = parseLogLevel(value);
    } else if (BOOL_FLAGS.has(name)) {
      const on = parseBool(name, inline);
      if (name === 'check') args.check = on;
      else if (name === 'version') args.version = on;
      else args.help = on;
    } else {
      throw new UsageError(`flag provided but not defined: -${name} (known flags: ${ALL_FLAGS})`);
    }
  }
  if (i < argv.length) {
    args.command = argv[i];
    args.commandArgs = argv.slice(i + 1);
  }
  return args;
}

function parseLogLevel(value: string): LogLevel {
  const level = value.toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  throw new UsageError(`invalid value "${value}" for flag -loglevel: use one of ${LOG_LEVELS.join(', ')}`);
}

function parseBool(name: string, inline: string | undefined): boolean {
  if (inline === undefined) return true;
  if (/^(1|t|true|TRUE|True)$/.test(inline)) return true;
  if (/^(0|f|false|FALSE|False)$/.test(inline)) return false;
  throw new UsageError(`invalid boolean value "${inline}" for -${name}: use true or false`);
}

export const USAGE = `Usage:
  vmango [-config FILE] [-loglevel LEVEL]     start the web panel
  vmango [-config FILE] -check                validate the config file and exit
  vmango genpw [PASSWORD]                     print a bcrypt hash for a user's password
  vmango gentoken --user NAME [--scope …]     make an API token and print its config block
  vmango events --url URL [… -- COMMAND]      follow a panel's events, run COMMAND for each
  vmango -help | -version

Flags (one or two dashes, "-flag value" or "-flag=value"):
  -config FILE      config file (default: $VMANGO_CONFIG, else ./vmango.conf)
  -check            validate the configuration, print every problem, exit 1 if any
  -loglevel LEVEL   ${LOG_LEVELS.join(', ')} (default info)
`;
