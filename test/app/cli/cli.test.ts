import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import { spawn } from 'node:child_process';
import { runCli } from '../../../server/app/cli/main.js';

const repoRoot = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

function io(env: NodeJS.ProcessEnv = {}, cwd = repoRoot) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  return {
    io: {
      stdin: new PassThrough() as unknown as NodeJS.ReadStream,
      stdout: stdout as unknown as NodeJS.WriteStream,
      stderr: stderr as unknown as NodeJS.WriteStream,
      env,
      cwd,
    },
    out: () => out,
    err: () => err,
  };
}

function configFile(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'vmango-cli-'));
  const path = join(dir, 'vmango.conf');
  writeFileSync(path, body);
  return path;
}

const templates = `vm_template = "${repoRoot}/templates/vm.xml.in"\n  volume_template = "${repoRoot}/templates/volume.xml.in"`;
const goodConfig = `
listen = "127.0.0.1:18000"
session_secret = "test-secret-0123456789abcdef0123456789"
static_cache = "24h"
hypervisor "LOCAL1" {
  url = "test:///default"
  image_storage_pool = "vmango-images"
  root_storage_pool = "default"
  network = "vmango"
  ${templates}
}
plan "small" {
  memory = 512
  cpus = 1
  disk_size = 5
}
`;

describe('vmango CLI', () => {
  it('-check on a valid file prints a summary and exits 0', async () => {
    const t = io();
    expect(await runCli(['-config', configFile(goodConfig), '-check'], t.io)).toBe(0);
    expect(t.out()).toMatch(
      /^config OK: .*vmango\.conf \(1 hypervisor\(s\), 1 plan\(s\), 0 user\(s\), 0 ssh key\(s\)\)\n {2}audit log: kept in memory only \(set audit_log to keep it in a file\)\n$/,
    );
  });

  it('-check prints every problem with its key path and exits 1', async () => {
    const broken = goodConfig
      .replace('session_secret = "test-secret-0123456789abcdef0123456789"', 'session_secret = ""')
      .replace('cpus = 1', 'cpus = 0')
      .replace('static_cache = "24h"', 'static_cache = "forever"');
    const t = io();
    expect(await runCli(['--config=' + configFile(broken), '-check'], t.io)).toBe(1);
    expect(t.err()).toMatch(/config validation failed, 3 problem\(s\)/);
    expect(t.err()).toMatch(/session_secret: /);
    expect(t.err()).toMatch(/plan\.small\.cpus: /);
    expect(t.err()).toMatch(/static_cache: /);
  });

  it('takes the config path from $VMANGO_CONFIG when no flag is given', async () => {
    const t = io({ VMANGO_CONFIG: configFile(goodConfig) });
    expect(await runCli(['-check'], t.io)).toBe(0);
  });

  it('says plainly when there is no config file', async () => {
    const t = io({}, mkdtempSync(join(tmpdir(), 'vmango-empty-')));
    expect(await runCli(['-check'], t.io)).toBe(1);
    expect(t.err()).toMatch(
      /config file .*vmango\.conf \(the default, \.\/vmango\.conf\) does not exist; give one with -config FILE or \$VMANGO_CONFIG/,
    );
  });

  it('prints usage and exits 2 for an unknown flag or command', async () => {
    const flag = io();
    expect(await runCli(['-frobnicate'], flag.io)).toBe(2);
    expect(flag.err()).toMatch(/flag provided but not defined: -frobnicate[\s\S]*Usage:/);
    const command = io();
    expect(await runCli(['frobnicate'], command.io)).toBe(2);
    expect(command.err()).toMatch(/unknown command "frobnicate"[\s\S]*Usage:/);
  });

  it('prints help and version', async () => {
    const help = io();
    expect(await runCli(['--help'], help.io)).toBe(0);
    expect(help.out()).toMatch(/vmango genpw \[PASSWORD\]/);
    const version = io();
    expect(await runCli(['-version'], version.io)).toBe(0);
    expect(version.out()).toMatch(/^vmango \d+\.\d+\.\d+\n$/);
  });
});

/** Runs the installed command the way users do (needs the build from scripts/setup.sh). */
function runBin(args: string[], input?: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/vmango.js'), ...args], { cwd: repoRoot });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolvePromise({ code, out, err }));
    child.stdin.end(input ?? '');
  });
}

describe('bin/vmango.js (the built command)', () => {
  it('genpw reads a piped password and prints a hash', async () => {
    const r = await runBin(['genpw'], 'piped\n');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\$2a\$10\$.{53}\n$/);
  });

  it('-check exits 1 on a broken file and 0 on a good one', async () => {
    expect((await runBin(['-config', configFile(goodConfig), '-check'])).code).toBe(0);
    const bad = await runBin(['-config', configFile('listen = ')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/vmango\.conf:1:\d+/);
  });

  it('starts the server, answers /healthz, and stops cleanly on SIGTERM', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const child = spawn(
      process.execPath,
      [join(repoRoot, 'bin/vmango.js'), '-config', configFile(goodConfig.replace('127.0.0.1:18000', `127.0.0.1:${port}`))],
      { cwd: repoRoot },
    );
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    let health: unknown;
    for (let i = 0; i < 100 && health === undefined; i++) {
      await new Promise((r) => setTimeout(r, 100));
      health = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.json(),
        () => undefined,
      );
    }
    expect(health).toMatchObject({ status: 'ok' });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(log).toMatch(/"msg":"starting server"/);
    expect(log).toMatch(/"msg":"stopped"/);
  });

  it('starts the demo on the embedded test-driver hypervisor when there is no config file', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const cwd = mkdtempSync(join(tmpdir(), 'vmango-demo-'));
    const env: NodeJS.ProcessEnv = { ...process.env, VMANGO_DEMO_LISTEN: `127.0.0.1:${port}` };
    delete env.VMANGO_CONFIG;
    const child = spawn(process.execPath, [join(repoRoot, 'bin/vmango.js')], { cwd, env });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    let health: { hypervisors?: { name: string; state: string }[] } | undefined;
    for (let i = 0; i < 100 && health?.hypervisors?.[0]?.state !== 'connected'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const password = /log in as demo \/ (\S{12})/.exec(log)?.[1];
      if (!password) continue;
      health = (await fetch(`http://127.0.0.1:${port}/healthz`, {
        headers: { 'X-Vmango-User': 'demo', 'X-Vmango-Pass': password },
      }).then(
        (r) => r.json(),
        () => undefined,
      )) as typeof health;
    }
    expect(health?.hypervisors).toEqual([expect.objectContaining({ name: 'DEMO', state: 'connected' })]);
    expect(log).toMatch(/starting the demo on libvirt's test driver/);
    expect(log).toMatch(new RegExp(`open http://127\\.0\\.0\\.1:${port}/ and log in as demo / \\S{12}`));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
