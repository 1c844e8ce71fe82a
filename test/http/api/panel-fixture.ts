import { fileURLToPath } from 'node:url';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '../../../server/services/auth/password-hash.js';
import { parseConfig, type Config } from '../../../server/config/index.js';
import type { PanelOptions } from '../../../server/app/panel.js';
import { startTestPanel } from '../../helpers/panel.js';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
export const ADMIN = { user: 'admin', password: 'secret' };
export const ALICE = { user: 'alice', password: 'wonderland' };
export const TEST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMwpVbhzB4dcwUbD1tRsbtQTzSsTnjTPRXUMsAa5O1Y3 test@vmango';
export const WEB1_ID = '4fe884940a384a15b039f94a9bea4934';
export const DB1_ID = 'c72cb377301a4f2aa34c547f70872b55';
export const LEGACY_ID = '9b2d7c1e55aa4c3b8f112a6c0e9d4f70';

// Hashing is slow; one hash per user for the whole file.
const hashes = { admin: hashPassword(ADMIN.password), alice: hashPassword(ALICE.password) };

function hypervisorBlock(name: string, url: string): string {
  return `
hypervisor "${name}" {
  url = "${url}"
  image_storage_pool = "vmango-images"
  root_storage_pool = "default"
  network = "vmango"
  vm_template = "${REPO}/demo/vm.xml.in"
  volume_template = "${REPO}/templates/volume.xml.in"
  ignore_vms = []
}
`;
}

/** A config with the demo test-driver hypervisor DEMO, and GONE (a test:/// file that does not exist) when asked. */
export function apiTestConfig(options: { withUnavailable?: boolean; hashes?: Partial<typeof hashes> } = {}): Config {
  const missing = join(mkdtempSync(join(tmpdir(), 'vmango-api-')), 'missing.xml');
  const userHashes = { ...hashes, ...options.hashes };
  const text = `
listen = "127.0.0.1:8000"
session_secret = "api-test-secret-0123456789abcdef0123"
static_cache = "0"
${hypervisorBlock('DEMO', `test://${REPO}/demo/hypervisor.xml`)}
${options.withUnavailable ? hypervisorBlock('GONE', `test://${missing}`) : ''}
plan "small" {
  memory = 512
  cpus = 1
  disk_size = 5
}
plan "large" {
  memory = 2048
  cpus = 4
  disk_size = 20
}
user "admin" {
  password = "${userHashes.admin}"
}
user "alice" {
  password = "${userHashes.alice}"
}
ssh_key "test" {
  public = "${TEST_KEY}"
}
`;
  return parseConfig(text, { filename: 'api-test.conf', baseDir: REPO });
}

/**
 * The real panel's API (built by the composition root: real config, connection manager, libvirt
 * test driver, machine service, app) over the demo hypervisor, listening on a loopback port. Each
 * panel has its own copy of the demo hypervisor's state. The caller closes it.
 */
export async function startApiPanel(
  options: {
    withUnavailable?: boolean;
    auth?: PanelOptions['auth'];
    config?: Config;
    serverLimits?: PanelOptions['serverLimits'];
  } = {},
) {
  const config = options.config ?? apiTestConfig(options);
  const panel = await startTestPanel(config, {
    pages: false,
    auth: options.auth,
    serverLimits: options.serverLimits,
    connections: { backoffInitialMs: 60_000, backoffMaxMs: 60_000 },
  });
  return { ...panel, service: panel.machines };
}

export function authHeaders(who: { user: string; password: string } = ADMIN): Record<string, string> {
  return { 'X-Vmango-User': who.user, 'X-Vmango-Pass': who.password };
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever the API sent
  json: Record<string, any> | undefined;
}

/** A request to the panel at `base()` as ADMIN (headers in `init` win); the answer read whole. */
export function apiClient(base: () => string): (path: string, init?: RequestInit) => Promise<ApiAnswer> {
  return async (path, init = {}) => {
    const res = await fetch(base() + path, {
      ...init,
      headers: { ...authHeaders(), ...(init.headers as Record<string, string>) },
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: text ? (JSON.parse(text) as ApiAnswer['json']) : undefined };
  };
}
