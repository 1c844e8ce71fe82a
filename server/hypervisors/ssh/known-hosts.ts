/**
 * OpenSSH known_hosts files: whether a host key is known for a host. Understands plain and
 * hashed (|1|salt|hash) host fields, `[host]:port` for other ports, `*` and `?` patterns,
 * negated patterns and @revoked keys, as ssh does.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

function wildcard(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
}

function hostMatches(field: string, names: readonly string[]): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt = '', hash = ''] = field.split('|');
    return names.some((name) => createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash);
  }
  let matched = false;
  for (const pattern of field.split(',')) {
    const negated = pattern.startsWith('!');
    const re = wildcard(negated ? pattern.slice(1) : pattern);
    if (names.some((name) => re.test(name))) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

export type HostKeyVerdict = 'known' | 'unknown' | 'revoked' | 'changed';

/** `key` is the server's host key blob (as sent in the SSH handshake). */
export function checkHostKey(files: readonly string[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const names = port === 22 ? [host] : [`[${host}]:${port}`];
  let sawHost = false;
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const parts = line.split(/\s+/);
      const marker = parts[0]!.startsWith('@') ? parts.shift() : undefined;
      const [hosts = '', , blob = ''] = parts;
      if (!hostMatches(hosts, names)) continue;
      const same = Buffer.from(blob, 'base64').equals(key);
      if (marker === '@revoked' && same) return 'revoked';
      if (marker === '@cert-authority') continue;
      sawHost = true;
      if (same) return 'known';
    }
  }
  return sawHost ? 'changed' : 'unknown';
}
