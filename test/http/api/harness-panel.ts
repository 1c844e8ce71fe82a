// The real panel API in-process on the real harness hypervisor (qemu+ssh), for the route tests
// routes*.harness.test.ts, built by the composition root (server/app/panel.ts).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hashPassword } from '../../../server/services/auth/password-hash.js';
import { parseConfig, type Config } from '../../../server/config/index.js';
import { parseXmlDocument, type XmlElement } from '../../../server/formats/xml/tree.js';
import type { HarnessEnv } from '../../helpers/harness.js';
import { startTestPanel, type TestPanel } from '../../helpers/panel.js';
import { REPO, TEST_KEY } from './panel-fixture.js';

const run = promisify(execFile);

export const ADMIN = { user: 'admin', password: 'rth-admin-secret' };
export const ALICE = { user: 'alice', password: 'rth-alice-secret' };
/** Only the failure-limit test uses (and locks) this user. */
export const LOCKED = { user: 'locked', password: 'rth-locked-secret' };
/** vmango 0.6's example key (spec §1, the `ssh_key "test"` of its vmango.conf and of its fixture domains). */
export const RSA_KEY =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDXJjuFhloSumFjJRrrZfSinBE0q4e/o0nKzt4QfkD3VR56rrrrCtjHh+/wcZcIdm9I9QODxoFoSSvrPNOzLj0lfF0f64Ic7fUnC4hhRBEeyo/03KVpUQcHWHjeex+5OHQXa8s5Xy/dytZkhdvDYOCgEpMgC2tU6tk/mVuk84Q03QEnSYJQuIgj8VwvxC+22aGSpLzXtenpdXr+O8s7dkuhHQjl1w6WbiLADv0I06bFwW8iB6p7aHZCqJUYAUYa4XaCjXdVwoKAE/J23s17XCZzY10YmBIikRQQIjpvRIbHArzO0om4++2KMnY8m6xoMp2imyceD/0fIVlAqhLTEaBP test@vmango';
export { TEST_KEY };
export const KEYS = [
  { name: 'test', public: TEST_KEY },
  { name: 'rsa', public: RSA_KEY },
];
export const PLANS = [
  { name: 'tiny', memoryMiB: 64, cpus: 1, diskGiB: 1 },
  { name: 'wide', memoryMiB: 96, cpus: 2, diskGiB: 2 },
];
export const MiB = 1024 ** 2;
export const GiB = 1024 ** 3;

/** ../shared/compat/fixtures (vmango 0.6's fixture domains), when the checkout has ../shared beside it. */
export const COMPAT_FIXTURES = join(REPO, '..', 'shared', 'compat', 'fixtures');
export const HAVE_COMPAT_FIXTURES = existsSync(join(COMPAT_FIXTURES, 'domain-one.xml'));

export interface HypervisorSpec {
  name: string;
  url: string;
  network: string;
  vmTemplate: string;
  volumeTemplate: string;
  configDriveFormat?: 'openstack' | 'nocloud';
  /** HCL durations / integers; the defaults otherwise. */
  callTimeout?: string;
  keepaliveInterval?: number;
  keepaliveCount?: number;
}

// Hashing is slow: once per user per process.
const hashes = new Map<string, string>();
export function hashOf(password: string): string {
  let hash = hashes.get(password);
  if (!hash) hashes.set(password, (hash = hashPassword(password)));
  return hash;
}

/** `extra`: more config text (users with grants or quotas, roles). */
export function harnessApiConfig(env: HarnessEnv, hypervisors: readonly HypervisorSpec[], extra = ''): Config {
  const blocks = hypervisors
    .map(
      (hv) => `
hypervisor "${hv.name}" {
  url = "${hv.url}"
  image_storage_pool = "${env.imagePool}"
  root_storage_pool = "${env.rootPool}"
  network = "${hv.network}"
  vm_template = "${hv.vmTemplate}"
  volume_template = "${hv.volumeTemplate}"
  ${hv.configDriveFormat ? `config_drive_format = "${hv.configDriveFormat}"` : ''}
  ${hv.callTimeout ? `call_timeout = "${hv.callTimeout}"` : ''}
  ${hv.keepaliveInterval ? `keepalive_interval = ${hv.keepaliveInterval}` : ''}
  ${hv.keepaliveCount ? `keepalive_count = ${hv.keepaliveCount}` : ''}
}
`,
    )
    .join('');
  const text = `
listen = "127.0.0.1:8000"
session_secret = "test-secret-0123456789abcdef0123456789"
# The tests that make logins fail send X-Real-IP, so their failures never lock 127.0.0.1 out.
trusted_proxies = ["127.0.0.1"]
${blocks}
${PLANS.map((p) => `plan "${p.name}" {\n  memory = ${p.memoryMiB}\n  cpus = ${p.cpus}\n  disk_size = ${p.diskGiB}\n}\n`).join('')}
${[ADMIN, ALICE, LOCKED].map((u) => `user "${u.user}" {\n  password = "${hashOf(u.password)}"\n}\n`).join('')}
${KEYS.map((k) => `ssh_key "${k.name}" {\n  public = "${k.public}"\n}\n`).join('')}
${extra}
`;
  return parseConfig(text, { filename: 'routes-harness.conf', baseDir: REPO });
}

export type HarnessPanel = TestPanel;

/** The panel's API on `config` (composition root), every provider settled (connected or not), on a loopback port. */
export async function startHarnessApi(config: Config): Promise<HarnessPanel> {
  // Quick reconnects, so a provider comes back soon after its path is unfrozen.
  return startTestPanel(config, { pages: false, settleMs: 60_000, connections: { backoffInitialMs: 500, backoffMaxMs: 2_000 } });
}

export interface Who {
  user: string;
  password: string;
}

export function authHeaders(who: Who = ADMIN): Record<string, string> {
  return { 'X-Vmango-User': who.user, 'X-Vmango-Pass': who.password };
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever the API sent
  json: any;
  ms: number;
}

/** One API request as `who` (ADMIN by default; `null` sends no credentials). */
export async function apiCall(
  base: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; who?: Who | null } = {},
): Promise<Reply> {
  const started = performance.now();
  const credentials = init.who === null ? {} : authHeaders(init.who ?? ADMIN);
  const res = await fetch(base + path, {
    method: init.method ?? 'GET',
    headers: { ...credentials, ...init.headers },
    body: init.body,
    redirect: 'manual',
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json, ms: performance.now() - started };
}

export const FORM = 'application/x-www-form-urlencoded';

/** Hyphenated 8-4-4-4-12 form of a 32-hex-digit id. */
export function dashed(id: string): string {
  return `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;
}

/** `ssh-keygen -l -E sha256` of a public key line: the fingerprint the API must report. */
export async function sshKeygenFingerprint(publicKey: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'vmango-rth-key-'));
  const file = join(dir, 'key.pub');
  writeFileSync(file, `${publicKey}\n`);
  const { stdout } = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', file]);
  return stdout.split(' ')[1]!;
}

/** Every element path (`/domain/devices/disk`) of an XML document, once each. */
export function elementPaths(xml: string): Set<string> {
  const paths = new Set<string>();
  const walk = (element: XmlElement, prefix: string): void => {
    const here = `${prefix}/${element.localName}`;
    paths.add(here);
    for (const child of element.children) walk(child, here);
  };
  walk(parseXmlDocument(xml, 'XML'), '');
  return paths;
}

/** The harness network's `<host>` reservations, by MAC. */
export function dhcpHosts(networkXml: string): Map<string, { name: string; ip: string }> {
  const hosts = new Map<string, { name: string; ip: string }>();
  for (const match of networkXml.matchAll(/<host mac='([^']+)' name='([^']*)' ip='([^']+)'\/>/g)) {
    hosts.set(match[1]!, { name: match[2]!, ip: match[3]! });
  }
  return hosts;
}
