/** The vmango command (bin/vmango.js, the built panel) run as a process of its own, for tests that signal or replicate it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface PanelProcess {
  child: ChildProcess;
  base: string;
  exited: Promise<number | null>;
  /** Everything it printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Writes `configText` to `dir/name.conf` and starts the panel on it; `port` must match its listen. */
export function spawnPanelProcess(dir: string, name: string, configText: string, port: number): PanelProcess {
  const configPath = join(dir, `${name}.conf`);
  writeFileSync(configPath, configText);
  const child = spawn(process.execPath, [join(REPO, 'bin/vmango.js'), '-config', configPath], { cwd: REPO });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    base: `http://127.0.0.1:${port}`,
    exited,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
