import { closeSync, existsSync, openSync, fstatSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { ConfigError } from './config-error.js';
import { describeValue, isPlainObject } from './describe-value.js';
import { parseDuration } from './duration.js';
import { keyPath, readBoolean, readDuration, readString, readStringList, type BlockReader } from './fields.js';
import { parseHcl } from './hcl-parse.js';
import { readHypervisor } from './hypervisor.js';
import { readLabeledBlocks } from './labeled-blocks.js';
import { DEFAULT_LISTEN, parseListenAddress } from './listen-address.js';
import { readPlan } from './plan.js';
import { Problems } from './problems.js';
import { proxyAddressProblem } from './proxy-address.js';
import { readSshKey } from './ssh-key.js';
import { describeFsError } from './template-file.js';
import type { Config } from './types.js';
import { reportUnknownKeys } from './unknown-keys.js';
import { readUser } from './user.js';
import { readRole } from './access.js';
import { readToken } from './token.js';
import { readWebhook } from './webhook.js';

export const TOP_LEVEL_KEYS = [
  'listen',
  'session_secret',
  'static_cache',
  'debug',
  'trusted_proxies',
  'allowed_hosts',
  'session_idle_timeout',
  'session_lifetime',
  'console_idle_timeout',
  'state_dir',
  'audit_log',
  'ssl_key',
  'ssl_cert',
  'hypervisor',
  'plan',
  'user',
  'role',
  'token',
  'webhook',
  'ssh_key',
] as const;

/** Config files are a few kilobytes; anything this large is not one. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export interface ParseConfigOptions {
  /** Used in error positions and as Config.path. */
  filename: string;
  /** Directory that relative paths (templates, TLS files) resolve against. */
  baseDir: string;
}

/** Parses and validates config text. Throws ConfigError listing every problem, and nothing else. */
export function parseConfig(text: string, options: ParseConfigOptions): Config {
  try {
    return parseConfigUnguarded(text, options);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError([{ path: options.filename, message: `internal error while reading the config: ${reason}` }]);
  }
}

function parseConfigUnguarded(text: string, { filename, baseDir }: ParseConfigOptions): Config {
  const problems = new Problems();
  if (typeof text !== 'string') {
    problems.add(filename, 'config text must be a string');
    problems.throwIfAny();
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) {
    problems.add(filename, `file too large (over ${MAX_CONFIG_BYTES} bytes); a vmango config is a few kilobytes of HCL`);
    problems.throwIfAny();
  }
  const parsed = parseHcl(text, filename);
  if (!parsed.ok) throw new ConfigError([parsed.problem]);
  if (!isPlainObject(parsed.value)) {
    problems.add(filename, `expected HCL keys and blocks at the top level, got ${describeValue(parsed.value)}`);
    problems.throwIfAny();
  }
  const root: BlockReader = { body: parsed.value as Record<string, unknown>, prefix: '', problems };
  const dir = resolve(baseDir);
  reportUnknownKeys(root.body, TOP_LEVEL_KEYS, '', problems);

  const listen = readListen(root);
  const sessionSecret = readSessionSecret(root);
  const staticCacheMs = readDuration(root, 'static_cache', { defaultMs: 0, parse: parseDuration });
  const debug = readBoolean(root, 'debug') ?? false;
  const trustedProxies = readTrustedProxies(root);
  const allowedHosts = readAllowedHosts(root);
  const sessionIdleTimeoutMs = readDuration(root, 'session_idle_timeout', {
    defaultMs: SESSION_DEFAULTS.idleMs,
    positive: true,
    parse: parseDuration,
  });
  const sessionLifetimeMs = readDuration(root, 'session_lifetime', {
    defaultMs: SESSION_DEFAULTS.lifetimeMs,
    positive: true,
    parse: parseDuration,
  });
  if (sessionIdleTimeoutMs !== undefined && sessionLifetimeMs !== undefined && sessionIdleTimeoutMs > sessionLifetimeMs) {
    problems.add('session_idle_timeout', 'must not be longer than session_lifetime (a session ends at the first of the two)');
  }
  const consoleIdleTimeoutMs = readDuration(root, 'console_idle_timeout', {
    defaultMs: CONSOLE_DEFAULTS.idleMs,
    positive: true,
    parse: parseDuration,
  });
  const stateDirText = readString(root, 'state_dir', {
    what: 'the path of a directory the panel may write, e.g. "/var/lib/vmango"',
  });
  const auditLog = readAuditLog(root, dir);
  const tls = readTls(root, dir);

  const hypervisors = readLabeledBlocks(root.body, 'hypervisor', problems).map((block) => readHypervisor(block, dir));
  const plans = readLabeledBlocks(root.body, 'plan', problems).map(readPlan);
  const roles = readLabeledBlocks(root.body, 'role', problems)
    .map(readRole)
    .filter((r) => r !== undefined);
  const hypervisorNames = hypervisors.filter((h) => h !== undefined).map((h) => h.name);
  const users = readLabeledBlocks(root.body, 'user', problems).map((block) => readUser(block, roles, hypervisorNames));
  const knownUsers = users.filter((u) => u !== undefined);
  const tokens = readLabeledBlocks(root.body, 'token', problems)
    .map((block) => readToken(block, knownUsers, roles, hypervisorNames))
    .filter((t) => t !== undefined);
  const sshKeys = readLabeledBlocks(root.body, 'ssh_key', problems).map(readSshKey);
  const webhooks = readLabeledBlocks(root.body, 'webhook', problems)
    .map(readWebhook)
    .filter((w) => w !== undefined);

  problems.throwIfAny();
  const config: Config = {
    path: filename,
    dir,
    listen: listen ?? { ...DEFAULT_LISTEN },
    sessionSecret: sessionSecret ?? '',
    staticCacheSeconds: Math.floor((staticCacheMs ?? 0) / 1000),
    debug,
    trustedProxies: trustedProxies ?? [],
    sessionIdleTimeoutMs: sessionIdleTimeoutMs ?? SESSION_DEFAULTS.idleMs,
    sessionLifetimeMs: sessionLifetimeMs ?? SESSION_DEFAULTS.lifetimeMs,
    consoleIdleTimeoutMs: consoleIdleTimeoutMs ?? CONSOLE_DEFAULTS.idleMs,
    hypervisors: hypervisors.filter((h) => h !== undefined),
    plans: plans.filter((p) => p !== undefined),
    users: users.filter((u) => u !== undefined),
    roles,
    tokens,
    webhooks,
    sshKeys: sshKeys.filter((k) => k !== undefined),
  };
  if (tls) config.tls = tls;
  if (allowedHosts) config.allowedHosts = allowedHosts;
  if (stateDirText) config.stateDir = resolve(dir, stateDirText);
  if (auditLog) config.auditLog = auditLog;
  return config;
}

/** The audit log file: appended to (created when missing), never a directory. */
function readAuditLog(root: BlockReader, dir: string): string | undefined {
  const text = readString(root, 'audit_log', {
    what: 'the path of a file the panel appends JSON lines to, e.g. "/var/log/vmango/audit.jsonl"',
  });
  if (text === undefined) return undefined;
  const path = resolve(dir, text);
  if (text.endsWith('/') || (existsSync(path) && statSync(path).isDirectory())) {
    root.problems.add('audit_log', `${path} is a directory; name a file in it, e.g. "${join(path, 'audit.jsonl')}"`);
    return undefined;
  }
  return path;
}

function readListen(root: BlockReader): { host: string; port: number } | undefined {
  const text = readString(root, 'listen', { what: 'HOST:PORT such as "127.0.0.1:8000"; leave it out for 127.0.0.1:8000' });
  if (text === undefined) return undefined;
  try {
    return parseListenAddress(text);
  } catch (err) {
    root.problems.add('listen', (err as Error).message);
    return undefined;
  }
}

const SECRET_HOWTO = 'generate one with `head -c 32 /dev/urandom | base64` and set session_secret = "<that output>"';
/** Anyone who knows a secret can mint sessions; these are printed in the example and the README. */
const PLACEHOLDER_SECRETS = new Set([
  'REPLACE-ME-with-the-output-of-head-c-32-dev-urandom-base64',
  '<output of: head -c 32 /dev/urandom | base64>',
]);
export const MIN_SESSION_SECRET_BYTES = 32;

function readSessionSecret(root: BlockReader): string | undefined {
  const value = Object.hasOwn(root.body, 'session_secret') ? root.body['session_secret'] : undefined;
  if (value === undefined || value === null || value === '') {
    root.problems.add(
      'session_secret',
      `required and must not be empty: it signs login sessions and CSRF tokens; ${SECRET_HOWTO}`,
    );
    return undefined;
  }
  const secret = readString(root, 'session_secret', { required: true, what: `a random secret (${SECRET_HOWTO})` });
  if (secret === undefined) return undefined;
  if (PLACEHOLDER_SECRETS.has(secret)) {
    root.problems.add(
      'session_secret',
      `is the example's placeholder, which anyone can read and use to sign a session; ${SECRET_HOWTO}`,
    );
    return undefined;
  }
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_SESSION_SECRET_BYTES) {
    root.problems.add(
      'session_secret',
      `is ${bytes} bytes long; it must be at least ${MIN_SESSION_SECRET_BYTES} bytes of random text, since it signs login sessions; ${SECRET_HOWTO}`,
    );
    return undefined;
  }
  return secret;
}

export const SESSION_DEFAULTS = { idleMs: 12 * 3_600_000, lifetimeMs: 7 * 86_400_000 } as const;
/** An open console with no bytes either way for this long is closed. */
export const CONSOLE_DEFAULTS = { idleMs: 15 * 60_000 } as const;

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

function readAllowedHosts(root: BlockReader): string[] | undefined {
  const entries = readStringList(root, 'allowed_hosts', 'host names or IP addresses the panel is reached by, or "*"');
  if (entries === undefined) return undefined;
  let ok = true;
  entries.forEach((entry, index) => {
    const host = entry.startsWith('[') && entry.endsWith(']') ? entry.slice(1, -1) : entry;
    if (entry === '*' || HOST_NAME.test(host) || isIP(host) !== 0) return;
    root.problems.add(
      `allowed_hosts[${index}]`,
      `${JSON.stringify(entry)} is not a host name or IP address; allowed: names such as "vmango.example.com", addresses such as "192.0.2.10" or "::1" (without a port), or "*" for any host`,
    );
    ok = false;
  });
  return ok
    ? entries.map((e) =>
        e
          .toLowerCase()
          .replace(/^\[|\]$/g, '')
          .replace(/\.$/, ''),
      )
    : undefined;
}

function readTrustedProxies(root: BlockReader): string[] | undefined {
  const entries = readStringList(root, 'trusted_proxies', 'IP addresses or CIDR blocks of reverse proxies');
  if (entries === undefined) return undefined;
  let ok = true;
  entries.forEach((entry, index) => {
    const bad = proxyAddressProblem(entry);
    if (bad) {
      root.problems.add(`trusted_proxies[${index}]`, bad);
      ok = false;
    }
  });
  return ok ? entries : undefined;
}

function readTls(root: BlockReader, dir: string): { keyPath: string; certPath: string } | undefined {
  const key = readString(root, 'ssl_key', { what: 'the path of the TLS private key (PEM)' });
  const cert = readString(root, 'ssl_cert', { what: 'the path of the TLS certificate (PEM)' });
  const keySet = Object.hasOwn(root.body, 'ssl_key') && root.body['ssl_key'] !== null;
  const certSet = Object.hasOwn(root.body, 'ssl_cert') && root.body['ssl_cert'] !== null;
  if (keySet !== certSet) {
    const [missing, present] = keySet ? ['ssl_cert', 'ssl_key'] : ['ssl_key', 'ssl_cert'];
    root.problems.add(
      missing,
      `required because ${present} is set: set both ssl_key and ssl_cert to serve HTTPS, or neither for plain HTTP`,
    );
    return undefined;
  }
  if (key === undefined || cert === undefined) return undefined;
  const keyPathResolved = readableFile(root, 'ssl_key', resolve(dir, key));
  const certPathResolved = readableFile(root, 'ssl_cert', resolve(dir, cert));
  if (keyPathResolved === undefined || certPathResolved === undefined) return undefined;
  return { keyPath: keyPathResolved, certPath: certPathResolved };
}

function readableFile(root: BlockReader, key: string, path: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    if (!fstatSync(fd).isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' });
    return path;
  } catch (err) {
    root.problems.add(
      keyPath(root, key),
      `cannot read ${path}: ${describeFsError(err)} (relative paths are resolved against the config file's directory)`,
    );
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
