/**
 * `vmango gentoken --user NAME [--scope ROLE[:hypervisors=A,B|:tag=T|:owned]] [--expires 90d|TIME|never]
 * [--description TEXT]`: makes an API token, prints it once, and prints the `token` block to put in
 * the config (which keeps only the SHA-256 of the secret). Nothing is written anywhere.
 */
import { randomBytes } from 'node:crypto';
import { parseDuration } from '../../config/index.js';
import { isTag, TAG_RULE } from '../../core/machine-properties.js';
import { formatToken, newTokenSecret, secretHash } from '../../services/auth/api-tokens.js';

export interface GentokenIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

const USAGE = `Usage: vmango gentoken --user NAME [--scope SCOPE] [--expires WHEN] [--description TEXT]
  --user NAME         the user the token acts for (a user block of the config)
  --scope SCOPE       narrow the token to a role, on every machine or on a scope:
                        operator | operator:hypervisors=berlin,paris | viewer:tag=web | admin:owned
                      (leave it out: the token may do what its user may)
  --expires WHEN      a duration from now (90d, 12h), an RFC 3339 time, or never (default 90d)
  --description TEXT  what the token is for
`;

/** HCL string text that stays a plain string: no ${…}/%{…} interpolation, no control characters. */
function hclString(value: string, what: string): string {
  if (/[$%]\{/.test(value) || /[\u0000-\u001f\u007f]/.test(value))
    throw new Error(`${what} must not contain \${, %{ or control characters`);
  return JSON.stringify(value);
}

function grantLines(scope: string): string[] {
  const [role = '', where] = scope.split(/:(.*)/s, 2);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(role)) throw new Error(`--scope: ${JSON.stringify(role)} is not a role name`);
  const lines = ['  grant {', `    role = ${hclString(role, 'the role')}`];
  if (where === undefined || where === '') {
    // every machine
  } else if (where === 'owned') {
    lines.push('    owned = true');
  } else if (where.startsWith('tag=')) {
    const tag = where.slice(4);
    if (!isTag(tag)) throw new Error(`--scope: ${JSON.stringify(tag)} is not a tag: ${TAG_RULE}`);
    lines.push(`    tag = ${hclString(tag, 'the tag')}`);
  } else if (where.startsWith('hypervisors=')) {
    const names = where.slice(12).split(',');
    if (names.some((name) => name === '')) throw new Error('--scope: hypervisors=A,B needs hypervisor names');
    lines.push(`    hypervisors = [${names.map((name) => hclString(name, 'a hypervisor name')).join(', ')}]`);
  } else {
    throw new Error(`--scope: after the role comes :hypervisors=A,B, :tag=T or :owned, not ${JSON.stringify(where)}`);
  }
  lines.push('  }');
  return lines;
}

function expiryOf(text: string, now: Date): string {
  if (text === 'never') return 'never';
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const at = new Date(text);
    if (Number.isNaN(at.getTime())) throw new Error(`--expires: ${JSON.stringify(text)} is not an RFC 3339 time`);
    return at.toISOString().replace(/\.000Z$/, 'Z');
  }
  const ms = parseDuration(text);
  if (!(ms > 0)) throw new Error('--expires: the duration must be longer than 0');
  return new Date(now.getTime() + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function options(args: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    const match = /^--?(user|scope|expires|description)(?:=(.*))?$/s.exec(word);
    if (!match) throw new Error(`unknown argument ${JSON.stringify(word)}`);
    const value = match[2] ?? args[++i];
    if (value === undefined) throw new Error(`--${match[1]} needs a value`);
    found.set(match[1]!, value);
  }
  return found;
}

export function runGentoken(args: readonly string[], io: GentokenIo, now = new Date()): number {
  if (args.some((arg) => /^--?(h|help)$/.test(arg))) {
    io.stdout.write(USAGE);
    return 0;
  }
  try {
    const given = options(args);
    const user = given.get('user');
    if (!user) throw new Error('--user is required');
    const id = `t-${randomBytes(4).toString('hex')}`;
    const secret = newTokenSecret();
    const block = [
      `token "${id}" {`,
      `  user        = ${hclString(user, '--user')}`,
      `  hash        = "sha256:${secretHash(secret)}"`,
      `  expires     = "${expiryOf(given.get('expires') ?? '90d', now)}"`,
      `  description = ${hclString(given.get('description') ?? '', '--description')}`,
      ...(given.has('scope') ? grantLines(given.get('scope')!) : []),
      '}',
    ];
    io.stdout.write(
      `API token (shown only now; send it as "Authorization: Bearer <token>"):\n\n  ${formatToken(id, secret)}\n\n` +
        `Add this block to the config, then reload the panel (kill -HUP its process) or restart it.\n` +
        `Remove the block (and reload) to revoke the token.\n\n${block.join('\n')}\n`,
    );
    return 0;
  } catch (err) {
    io.stderr.write(`vmango gentoken: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
}
