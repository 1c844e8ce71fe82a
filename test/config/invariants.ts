/*
 * An independent statement of what a loaded Config must satisfy, written without the loader's
 * code, so the fuzz test can tell an accepted-but-invalid file from a valid one.
 */
import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { isIP } from 'node:net';
import type { Config } from '../../server/config/index.js';

const BCRYPT = /^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$/;
const SSH_TYPES = new Set([
  'ssh-rsa',
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'ssh-dss',
]);

function check(condition: boolean, what: string, violations: string[]): void {
  if (!condition) violations.push(what);
}

const isPositiveInt = (n: unknown): boolean => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;
const isName = (s: unknown): boolean => typeof s === 'string' && s.length > 0 && !/[\u0000-\u001f/]/.test(s);
const isPlainText = (s: unknown): boolean => typeof s === 'string' && s.length > 0 && !s.includes('${') && !s.includes('%{');
const isFile = (p: string): boolean => {
  try {
    return isAbsolute(p) && statSync(p).isFile();
  } catch {
    return false;
  }
};

function sshKeyOk(line: string): boolean {
  const [type = '', blob = ''] = line.split(/\s+/);
  if (!SSH_TYPES.has(type)) return false;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blob) || blob.length % 4 !== 0) return false;
  const data = Buffer.from(blob, 'base64');
  if (data.length < 4) return false;
  const n = data.readUInt32BE(0);
  return data.length > 4 + n && data.subarray(4, 4 + n).toString('latin1') === type;
}

function proxyOk(entry: string): boolean {
  const parts = entry.split('/');
  const family = isIP(parts[0] ?? '');
  if (family === 0 || parts.length > 2) return false;
  if (parts.length === 1) return true;
  const prefix = parts[1] ?? '';
  return /^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function unique(names: string[]): boolean {
  return new Set(names).size === names.length;
}

/** Every rule a loaded config must satisfy; returns the broken ones. */
export function configViolations(config: Config): string[] {
  const v: string[] = [];
  const { listen } = config;
  check(Number.isInteger(listen.port) && listen.port >= 1 && listen.port <= 65535, `listen port ${listen.port}`, v);
  check(listen.host === '' || isIP(listen.host) !== 0 || /^[A-Za-z0-9.-]+$/.test(listen.host), `listen host ${listen.host}`, v);
  check(
    isPlainText(config.sessionSecret) && Buffer.byteLength(config.sessionSecret) >= 32,
    'session secret shorter than 32 bytes',
    v,
  );
  check(Number.isSafeInteger(config.staticCacheSeconds) && config.staticCacheSeconds >= 0, 'static cache', v);
  check(typeof config.debug === 'boolean', 'debug', v);
  check(Array.isArray(config.trustedProxies) && config.trustedProxies.every(proxyOk), 'trusted proxies', v);
  if (config.tls) check(isFile(config.tls.keyPath) && isFile(config.tls.certPath), 'tls files', v);

  check(unique(config.hypervisors.map((h) => h.name)), 'hypervisor names unique', v);
  for (const h of config.hypervisors) {
    check(isName(h.name), `hypervisor name ${h.name}`, v);
    check(h.url === '' || /^[a-z][a-z0-9+.-]*:\/\/\S*$/i.test(h.url), `url ${h.url}`, v);
    for (const s of [h.imageStoragePool, h.rootStoragePool, h.network])
      check(isPlainText(s), `hypervisor ${h.name} pool/network "${s}"`, v);
    check(isFile(h.vmTemplatePath) && isFile(h.volumeTemplatePath), 'template files', v);
    check(typeof h.vmTemplate?.execute === 'function' && typeof h.volumeTemplate?.execute === 'function', 'templates parsed', v);
    check(Array.isArray(h.ignoreVms) && h.ignoreVms.every(isPlainText), 'ignore_vms', v);
    check(h.configDriveFormat === 'openstack' || h.configDriveFormat === 'nocloud', 'config drive format', v);
    check(Number.isFinite(h.callTimeoutMs) && h.callTimeoutMs > 0, 'call timeout', v);
    check(Number.isFinite(h.longCallTimeoutMs) && h.longCallTimeoutMs > 0, 'long call timeout', v);
    check(isPositiveInt(h.keepaliveInterval) && isPositiveInt(h.keepaliveCount), 'keepalive', v);
  }
  check(unique(config.plans.map((p) => p.name)), 'plan names unique', v);
  for (const p of config.plans) {
    check(isName(p.name), `plan name ${p.name}`, v);
    check(isPositiveInt(p.memoryMiB) && isPositiveInt(p.cpus) && isPositiveInt(p.diskSizeGiB), `plan ${p.name} numbers`, v);
    check(p.memoryBytes === p.memoryMiB * 1048576 && p.diskSizeBytes === p.diskSizeGiB * 1073741824, `plan ${p.name} bytes`, v);
    check(Number.isSafeInteger(p.memoryBytes) && Number.isSafeInteger(p.diskSizeBytes), `plan ${p.name} byte counts exact`, v);
  }
  check(unique(config.users.map((u) => u.name)), 'user names unique', v);
  for (const u of config.users) check(isName(u.name) && BCRYPT.test(u.passwordHash), `user ${u.name}`, v);
  check(unique(config.sshKeys.map((k) => k.name)), 'ssh key names unique', v);
  for (const k of config.sshKeys) check(isName(k.name) && sshKeyOk(k.public), `ssh key ${k.name}`, v);
  return v;
}
