// Runs the real panel as a child process on a generated config, for start-up and RSS figures.
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '../../server/services/auth/password-hash.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const TEMPLATES = join(REPO, 'templates');

export interface BenchConfigOptions {
  provider: string;
  uri: string;
  network: string;
  imagePool: string;
  rootPool: string;
  domainType: string;
  linked: boolean;
  user: string;
  password: string;
  plan: { name: string; memoryMiB: number; cpus: number; diskGiB: number };
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** Writes the config file and its templates into a fresh temp dir; returns the config path. */
export function writeBenchConfig(options: BenchConfigOptions, port: number): { dir: string; configPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vmango-bench-'));
  const vm = readFileSync(join(TEMPLATES, 'vm.xml.in'), 'utf8')
    .replace("<domain type='kvm'>", `<domain type='${options.domainType}'>`)
    .replace("  <cpu mode='host-model'/>\n", '');
  if (vm.includes('host-model')) throw new Error('templates/vm.xml.in changed: cannot remove <cpu mode=host-model/>');
  writeFileSync(join(dir, 'vm.xml.in'), vm);
  const volumeTemplate = options.linked ? 'volume-linked.xml.in' : 'volume.xml.in';
  writeFileSync(join(dir, volumeTemplate), readFileSync(join(TEMPLATES, volumeTemplate), 'utf8'));
  const configPath = join(dir, 'vmango.conf');
  writeFileSync(
    configPath,
    `
listen = "127.0.0.1:${port}"
session_secret = "${randomBytes(32).toString('base64')}"
static_cache = "0"

hypervisor "${options.provider}" {
  url = "${options.uri}"
  image_storage_pool = "${options.imagePool}"
  root_storage_pool = "${options.rootPool}"
  network = "${options.network}"
  vm_template = "vm.xml.in"
  volume_template = "${volumeTemplate}"
}

user "${options.user}" {
  password = "${hashPassword(options.password)}"
}

plan "${options.plan.name}" {
  memory = ${options.plan.memoryMiB}
  cpus = ${options.plan.cpus}
  disk_size = ${options.plan.diskGiB}
}
`,
  );
  return { dir, configPath };
}

export interface PanelChild {
  child: ChildProcess;
  pid: number;
  base: string;
  /** How the panel runs: `bin/vmango.js`, the built command. */
  how: string;
  logFile: string;
  spawnedAt: number;
  stop(): Promise<void>;
}

export function spawnPanel(configPath: string, dir: string, port: number): PanelChild {
  const logFile = join(dir, 'panel.log');
  const out = openSync(logFile, 'a');
  const args = [join(REPO, 'bin/vmango.js'), '-config', configPath];
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', out, out] });
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  return {
    child,
    pid: child.pid!,
    base: `http://127.0.0.1:${port}`,
    how: 'node bin/vmango.js (dist/)',
    logFile,
    spawnedAt,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** VmRSS and VmHWM of a process, in MiB. */
export function memoryOf(pid: number): { rssMiB: number; hwmMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
}

export interface HealthProvider {
  name: string;
  state: string;
  since?: string;
}

/** Polls /healthz (with API credentials, which show the providers) until the provider is connected. */
export async function waitConnected(
  panel: PanelChild,
  provider: string,
  auth: Record<string, string>,
  timeoutMs = 60_000,
): Promise<HealthProvider> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (panel.child.exitCode !== null) throw new Error(`panel exited with code ${panel.child.exitCode}; see ${panel.logFile}`);
    try {
      const res = await fetch(`${panel.base}/healthz`, { headers: auth });
      if (res.ok) {
        const body = (await res.json()) as { hypervisors?: HealthProvider[] };
        const hv = body.hypervisors?.find((h) => h.name === provider);
        if (hv?.state === 'connected') return hv;
      }
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline)
      throw new Error(`panel did not connect to ${provider} within ${timeoutMs} ms; see ${panel.logFile}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
