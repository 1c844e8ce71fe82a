// Checks the real-hypervisor harness through virsh over qemu+ssh, the same
// path the panel uses. Run with: scripts/harness/harness.sh exec npx vitest run test/harness
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { harnessCommand, insideHarnessNamespace, requireHarness } from '../../helpers/harness.js';

const { env, skipReason } = requireHarness();

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

const HARNESS_SCRIPT = join(import.meta.dirname, '../../../scripts/harness/harness.sh');

function run(
  command: string,
  args: string[],
  options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const execOptions = { cwd: options.cwd, env: options.env ?? process.env, maxBuffer: 16 * 1024 * 1024 };
    const child = execFile(command, args, execOptions, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

async function virsh(uri: string, ...args: string[]): Promise<string> {
  const result = await run('timeout', ['30', 'virsh', '-q', '-c', uri, ...args]);
  if (result.code !== 0) {
    throw new Error(`virsh -c ${uri} ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}

function infoField(output: string, field: string): string | undefined {
  const line = output.split('\n').find((candidate) => candidate.startsWith(`${field}:`));
  return line?.slice(field.length + 1).trim();
}

describe.skipIf(skipReason !== undefined)('real-hypervisor harness', () => {
  const harness = env!;

  it('runs this test inside the harness namespace', () => {
    expect(insideHarnessNamespace()).toBe(true);
  });

  it('reaches libvirtd over qemu+ssh on both ports', async () => {
    expect((await virsh(harness.uri, 'hostname')).trim()).toBe(hostname());
    expect((await virsh(harness.uri2, 'hostname')).trim()).toBe(hostname());
    expect(harness.uri).toContain(':2201/system?keyfile=');
    expect(harness.uri2).toContain(':2202/system?keyfile=');
  });

  it('has the isolated DHCP network active', async () => {
    const info = await virsh(harness.uri, 'net-info', harness.network);
    expect(infoField(info, 'Active')).toBe('yes');
    const xml = await virsh(harness.uri, 'net-dumpxml', harness.network);
    expect(xml).not.toContain('<forward');
    expect(xml).toMatch(/<ip address='192\.168\.150\.1' netmask='255\.255\.255\.0'>/);
    expect(xml).toMatch(/<range start='192\.168\.150\.10' end='192\.168\.150\.250'/);
    expect(harness.networkCidr).toBe('192.168.150.0/24');
    // libvirt's dnsmasq for this network serves DHCP inside the namespace.
    const dhcpListeners = await run('ss', ['-Hlun', 'sport = :67']);
    expect(dhcpListeners.code).toBe(0);
    expect(dhcpListeners.stdout).toMatch(/\S/);
  });

  it('does not run the NAT default network', async () => {
    const active = await virsh(harness.uri, 'net-list', '--name');
    expect(active.split('\n').map((name) => name.trim())).not.toContain('default');
  });

  it('has both dir pools active at the advertised paths', async () => {
    for (const [pool, dir] of [
      [harness.imagePool, harness.imageDir],
      [harness.rootPool, harness.rootDir],
    ] as const) {
      expect(infoField(await virsh(harness.uri, 'pool-info', pool), 'State')).toBe('running');
      expect(await virsh(harness.uri, 'pool-dumpxml', pool)).toContain(`<path>${dir}</path>`);
    }
  });

  it('lists the vmango-style images and the stray file in the image pool', async () => {
    await virsh(harness.uri, 'pool-refresh', harness.imagePool);
    const volumes = (await virsh(harness.uri, 'vol-list', harness.imagePool))
      .split('\n')
      .map((line) => line.trim().split(/\s+/)[0])
      .filter((name): name is string => Boolean(name));
    expect(volumes).toEqual(
      expect.arrayContaining([
        'Cirros-0.6_amd64_qcow2.img',
        'Ubuntu-22.04_amd64_qcow2.img',
        'Debian-12_amd64_raw.img',
        'not-an-image.txt',
      ]),
    );
    const qcow2 = await virsh(harness.uri, 'vol-dumpxml', '--pool', harness.imagePool, 'Cirros-0.6_amd64_qcow2.img');
    expect(qcow2).toContain("<format type='qcow2'/>");
    expect(qcow2).toContain("<capacity unit='bytes'>67108864</capacity>");
    const raw = await virsh(harness.uri, 'vol-dumpxml', '--pool', harness.imagePool, 'Debian-12_amd64_raw.img');
    expect(raw).toContain("<format type='raw'/>");
  });

  describe('freeze', () => {
    afterAll(async () => {
      await harnessCommand('unfreeze', '2');
    });

    it('makes port 2202 hang while 2201 answers, and unfreeze restores it', async () => {
      // An already-open session must hang too (DROP, not a reset).
      const session = spawn('virsh', ['-q', '-c', harness.uri2], { stdio: ['pipe', 'pipe', 'pipe'] });
      let sessionOutput = '';
      let sessionExited = false;
      session.stdout.on('data', (chunk: Buffer) => (sessionOutput += chunk.toString()));
      session.on('exit', () => (sessionExited = true));
      try {
        session.stdin.write('nodeinfo\n');
        await expect.poll(() => sessionOutput, { timeout: 15_000 }).toContain('CPU model:');

        const frozen = await harnessCommand('freeze', '2');
        expect(frozen.code, frozen.stderr).toBe(0);
        const frozenAgain = await harnessCommand('freeze', '2');
        expect(frozenAgain.code, frozenAgain.stderr).toBe(0);

        sessionOutput = '';
        session.stdin.write('nodeinfo\n');
        const [hung, alive] = await Promise.all([
          run('timeout', ['4', 'virsh', '-q', '-c', harness.uri2, 'list', '--all']),
          virsh(harness.uri, 'list', '--all').then(() => true),
        ]);
        expect(hung.code).toBe(124);
        expect(alive).toBe(true);
        expect(sessionOutput).not.toContain('CPU model:');
        expect(sessionExited).toBe(false);

        const unfrozen = await harnessCommand('unfreeze', '2');
        expect(unfrozen.code, unfrozen.stderr).toBe(0);
        expect((await harnessCommand('unfreeze', '2')).code).toBe(0);
        expect((await virsh(harness.uri2, 'hostname')).trim()).toBe(hostname());
      } finally {
        session.kill('SIGKILL');
      }
    }, 60_000);

    it('lets one process hold a freeze: other owners wait for it and their unfreeze leaves it', async () => {
      const portFrozen = async () =>
        (await run('iptables', ['-w', '-C', 'INPUT', '-p', 'tcp', '--dport', '2202', '-j', 'DROP'])).code === 0;
      const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
      try {
        const held = await run(HARNESS_SCRIPT, ['freeze', '2'], {
          env: { ...process.env, VMANGO_HARNESS_FREEZE_OWNER: String(holder.pid) },
        });
        expect(held.code, held.stderr).toBe(0);

        const ignored = await harnessCommand('unfreeze', '2');
        expect(ignored.code, ignored.stderr).toBe(0);
        expect(ignored.stderr).toContain(`stays frozen: pid ${holder.pid}`);
        expect(await portFrozen()).toBe(true);

        const started = Date.now();
        const takeover = harnessCommand('freeze', '2');
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        holder.kill('SIGKILL');
        const taken = await takeover;
        expect(taken.code, taken.stderr).toBe(0);
        expect(taken.stderr).toContain(`frozen by pid ${holder.pid}; waiting`);
        expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
        expect(await portFrozen()).toBe(true);

        expect((await harnessCommand('unfreeze', '2')).code).toBe(0);
        expect(await portFrozen()).toBe(false);
      } finally {
        holder.kill('SIGKILL');
        await harnessCommand('unfreeze', '2');
      }
    }, 30_000);

    it('rejects a port number other than 1 or 2', async () => {
      const result = await harnessCommand('freeze', '3');
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('expected 1 or 2');
    });
  });

  it('defines, starts, stops and undefines a tiny TCG domain on the harness network', async () => {
    const name = `harness-smoke-${process.pid}`;
    const workDir = await mkdtemp(join(tmpdir(), 'harness-domain-'));
    const xmlPath = join(workDir, 'domain.xml');
    const xml = `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <interface type='network'><source network='${harness.network}'/><model type='virtio'/></interface>
    <graphics type='vnc' listen='127.0.0.1' autoport='yes'/>
  </devices>
</domain>`;
    await writeFile(xmlPath, xml);
    try {
      await virsh(harness.uri, 'define', xmlPath);
      await virsh(harness.uri, 'start', name);
      expect(infoField(await virsh(harness.uri, 'dominfo', name), 'State')).toBe('running');
      expect(await virsh(harness.uri, 'domiflist', name)).toContain(harness.network);
      await virsh(harness.uri, 'destroy', name);
      expect(infoField(await virsh(harness.uri, 'dominfo', name), 'State')).toBe('shut off');
      await virsh(harness.uri, 'undefine', name);
      const names = (await virsh(harness.uri, 'list', '--all', '--name')).split('\n').map((line) => line.trim());
      expect(names).not.toContain(name);
    } finally {
      await run('virsh', ['-q', '-c', harness.uri, 'destroy', name]);
      await run('virsh', ['-q', '-c', harness.uri, 'undefine', name]);
      await rm(workDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('exec preserves exit code, stdin, stdout, stderr and the working directory', async () => {
    const workDir = await mkdtemp(join(tmpdir(), 'harness-exec-'));
    try {
      const result = await run(
        HARNESS_SCRIPT,
        ['exec', 'bash', '-c', 'echo "cwd=$PWD uri=$VMANGO_HARNESS_URI"; cat; echo oops >&2; exit 42'],
        { input: 'from-stdin\n', cwd: workDir },
      );
      expect(result.code).toBe(42);
      expect(result.stdout).toBe(`cwd=${workDir} uri=${harness.uri}\nfrom-stdin\n`);
      expect(result.stderr).toBe('oops\n');
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  });

  it('reports status as up', async () => {
    const status = await harnessCommand('status');
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(status.stdout).toContain('harness: up');
    expect(status.stdout).toMatch(/vmango-images\s+active/);
  });
});
