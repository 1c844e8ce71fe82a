// The real panel in-process against the harness hypervisor (built by the composition root,
// server/app/panel.ts, on 127.0.0.1:0), and a small client of its REST API.
import { hashPassword } from '../../../../server/services/auth/password-hash.js';
import { parseConfig, type Config } from '../../../../server/config/index.js';
import { startTestPanel } from '../../../helpers/panel.js';
import type { HarnessEnv } from '../../../helpers/harness.js';
import { sleep } from '../helpers/run.js';

export const USER = { user: 'e2e', password: 'e2e-api-secret' };
export const PLAN = { name: 'e2e', memoryMiB: 512, cpus: 1, diskGiB: 2 };

export interface ProviderSpec {
  /** Provider (hypervisor block) name, as it appears in the API. */
  name: string;
  configDriveFormat: 'openstack' | 'nocloud';
}

/** One hypervisor block per spec, all on the harness URI (2201, the port nobody freezes). */
export function harnessPanelConfig(
  harness: HarnessEnv,
  options: {
    repo: string;
    providers: readonly ProviderSpec[];
    sshKey: { name: string; public: string };
  },
): Config {
  const blocks = options.providers
    .map(
      (p) => `
hypervisor "${p.name}" {
  url = "${harness.uri}"
  image_storage_pool = "${harness.imagePool}"
  root_storage_pool = "${harness.rootPool}"
  network = "${harness.network}"
  vm_template = "${options.repo}/templates/vm-direct-kernel.xml.in"
  volume_template = "${options.repo}/templates/volume.xml.in"
  config_drive_format = "${p.configDriveFormat}"
}
`,
    )
    .join('');
  const text = `
listen = "127.0.0.1:8000"
session_secret = "api-guest-e2e-0123456789abcdef0123456"
${blocks}
plan "${PLAN.name}" {
  memory = ${PLAN.memoryMiB}
  cpus = ${PLAN.cpus}
  disk_size = ${PLAN.diskGiB}
}
user "${USER.user}" {
  password = "${hashPassword(USER.password)}"
}
ssh_key "${options.sshKey.name}" {
  public = "${options.sshKey.public}"
}
`;
  return parseConfig(text, { filename: 'api-guest-e2e.conf', baseDir: options.repo });
}

export interface RunningPanel {
  base: string;
  /** The panel's log lines (JSON objects), for failure messages. */
  logLines: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function startHarnessPanel(config: Config): Promise<RunningPanel> {
  const panel = await startTestPanel(config, { pages: false });
  return { base: panel.base, logLines: panel.lines, close: () => panel.close() };
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export async function api(base: string, method: string, path: string, body?: URLSearchParams): Promise<ApiResponse> {
  const headers: Record<string, string> = { 'X-Vmango-User': USER.user, 'X-Vmango-Pass': USER.password };
  if (body) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  const res = await fetch(`${base}${path}`, { method, headers, body: body?.toString(), redirect: 'manual' });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** The VM object of `GET /api/machines/<provider>/<id>/` (the fields this test reads). */
export interface ApiMachine {
  Id: string;
  Name: string;
  Plan: string;
  Creator: string;
  Ip: { Address: string; Gateway: string; Netmask: string; UsedBy: string } | null;
  HWAddr: string;
  RootDisk: { Size: number; Driver: string; Type: string } | null;
  SSHKeys: { Name: string; Public: string }[];
  State: 'running' | 'stopped' | 'paused' | 'unknown';
  Managed: boolean;
  Provider: string;
}

/** `GET` the machine; throws unless 200. */
export async function getMachine(base: string, location: string): Promise<ApiMachine> {
  const res = await api(base, 'GET', location);
  if (res.status !== 200) throw new Error(`GET ${location}: ${res.status} ${res.text}`);
  return (res.json as { Machine: ApiMachine }).Machine;
}

/** Polls `check` every `intervalMs` until it returns a value (not undefined); throws `what` on timeout. */
export async function pollUntil<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
  intervalMs = 2000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not within ${timeoutMs / 1000} s${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`,
      );
    }
    await sleep(intervalMs);
  }
}
