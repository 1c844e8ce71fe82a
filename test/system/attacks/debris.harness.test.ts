/**
 * Faults (issue 12) that left debris on the real hypervisor, each followed by the sweeper and a
 * check that nothing of the machine is left:
 * - the hypervisor freezes right after the root volume appears (the rollback cannot reach it);
 * - a deadline miss during define (the definition arrives after the call gave up);
 * - SIGTERM during the clone of a large image (the panel used to close its connections under the
 *   running create after 10 s), and SIGKILL there (nothing can roll back).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateMachineRequest } from '../../../server/core/requests.js';
import type { CreateStep } from '../../../server/services/machines/create/create-machine.js';
import type { Connection } from '../../../server/libvirt/index.js';
import { hashPassword } from '../../../server/services/auth/password-hash.js';
import { harnessCommand, requireHarness } from '../../helpers/harness.js';
import {
  cleanupPrefix,
  defineNetwork,
  harnessTemplates,
  leftovers,
  rawConnection,
  removeNetwork,
  virsh,
} from '../../services/machines/harness-fixture.js';
import { serviceConfig, startService, type HypervisorBlock, type ServiceSetup } from '../../services/machines/setup.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const { env, skipReason } = requireHarness();
const PREFIX = `dbr${process.pid % 100000}`;
const NET = `${PREFIX}-net`;
const SUBNET = 203 * 256 + (process.pid % 200);
const BIG_IMAGE = `Big${process.pid % 100000}-1_amd64_raw.img`;

let hooked: ((step: CreateStep, name: string) => Promise<void>) | undefined;

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(skipReason !== undefined)('debris of interrupted creates, on the harness hypervisor', () => {
  const harness = env!;
  let setup: ServiceSetup;
  let conn: Connection;
  let templates: ReturnType<typeof harnessTemplates>;

  beforeAll(async () => {
    templates = harnessTemplates(harness);
    await defineNetwork(harness, templates.dir, NET, `vbd${process.pid % 100000}`, SUBNET, [10, 60]);
    const block = (name: string, url: string): HypervisorBlock => ({
      name,
      url,
      imagePool: harness.imagePool,
      rootPool: harness.rootPool,
      network: NET,
      vmTemplate: templates.vm,
      volumeTemplate: templates.volume,
      callTimeout: '3s',
    });
    // FRZ goes over the ssh path the harness freezes (port 2202).
    setup = await startService(serviceConfig([block('FRZ', harness.uri2)]), {
      createHooks: { afterStep: (step, name) => hooked?.(step, name) ?? Promise.resolve() },
      sweepIntervalMs: 0,
    });
    conn = await rawConnection(harness);
  }, 120_000);

  afterAll(async () => {
    hooked = undefined;
    await harnessCommand('unfreeze', '2');
    if (conn) {
      await cleanupPrefix(conn, harness, PREFIX);
      await virsh(harness, 'vol-delete', '--pool', harness.imagePool, BIG_IMAGE).catch(() => undefined);
      await conn.close();
    }
    await setup?.close();
    await removeNetwork(harness, NET);
  }, 120_000);

  const request = (name: string, extra: Partial<CreateMachineRequest> = {}): CreateMachineRequest => ({
    provider: 'FRZ',
    name: `${PREFIX}-${name}`,
    plan: 'small',
    image: 'Cirros-0.6_amd64_qcow2.img',
    sshKeys: [],
    userdata: '',
    creator: 'admin',
    ...extra,
  });

  async function connectedAgain(): Promise<void> {
    await until(async () => setup.manager.status('FRZ').state === 'connected', 60_000, 'FRZ connected again');
  }

  it('a frozen hypervisor right after the root volume appears: leftovers, then nothing after the sweeper', async () => {
    const req = request('frozen');
    hooked = async (step) => {
      if (step === 'volume-created') await harnessCommand('freeze', '2');
    };
    const failed = await setup.service.createMachine(req).then(
      () => undefined,
      (err: Error) => err.message,
    );
    hooked = undefined;
    expect(failed).toMatch(/did not answer|did not complete|unavailable/);
    await harnessCommand('unfreeze', '2');
    await connectedAgain();
    const left = await leftovers(conn, harness, NET, req.name);
    console.log(`left by the frozen create: ${left.join(', ') || 'nothing'}`);
    expect(left).toContain(`volume ${req.name}_creating`);
    const report = await setup.service.sweep('FRZ', { staleAfterMs: 0 });
    expect(report.removed).toContain(`volume ${req.name}_creating`);
    expect(await leftovers(conn, harness, NET, req.name)).toEqual([]);
  }, 120_000);

  it('a deadline miss during define: the late definition is undone, the rest swept', async () => {
    const req = request('define');
    hooked = async (step) => {
      if (step !== 'volume-resized') return;
      await harnessCommand('freeze', '2');
      // Thawed after the define's 3 s deadline: libvirt defines it then, and answers too late.
      setTimeout(() => void harnessCommand('unfreeze', '2'), 4_500);
    };
    const failed = await setup.service.createMachine(req).then(
      () => undefined,
      (err: Error) => err.message,
    );
    hooked = undefined;
    expect(failed).toMatch(/failed to define domain.*did not complete within 3000 ms|did not answer/);
    await connectedAgain();
    await until(
      async () =>
        setup.lines.some((l) => l.msg === 'a call that had timed out completed later: undone' && l.late === `domain ${req.name}`),
      30_000,
      'the late definition undone',
    );
    await setup.service.sweep('FRZ', { staleAfterMs: 0 });
    expect(await leftovers(conn, harness, NET, req.name)).toEqual([]);
  }, 120_000);

  describe('a panel process stopped during the clone of a large image', () => {
    let dir: string;
    const USER = { user: 'dbr', password: 'debris-test-password' };

    beforeAll(async () => {
      // 384 MiB of random bytes: a full clone takes a few seconds, and cannot be done sparsely.
      await virsh(harness, 'vol-create-as', harness.imagePool, BIG_IMAGE, '384M', '--format', 'raw');
      await new Promise<void>((resolve, reject) => {
        const dd = spawn('dd', [
          'if=/dev/urandom',
          `of=${join(harness.imageDir, BIG_IMAGE)}`,
          'bs=4M',
          'count=96',
          'conv=notrunc',
          'status=none',
        ]);
        dd.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`dd exited with ${code}`))));
      });
      await virsh(harness, 'pool-refresh', harness.imagePool);
      dir = mkdtempSync(join(tmpdir(), 'vmango-debris-'));
    }, 120_000);

    function spawnPanel(port: number): { child: ChildProcess; exited: Promise<number | null>; log: () => string } {
      const volume = templates.volume;
      const configPath = join(dir, `panel-${port}.conf`);
      writeFileSync(
        configPath,
        `listen = "127.0.0.1:${port}"
session_secret = "debris-test-secret-0123456789abcdefghij"
hypervisor "H" {
  url = "${harness.uri}"
  image_storage_pool = "${harness.imagePool}"
  root_storage_pool = "${harness.rootPool}"
  network = "${NET}"
  vm_template = "${templates.vm}"
  volume_template = "${volume}"
}
plan "small" {
  memory = 64
  cpus = 1
  disk_size = 1
}
user "${USER.user}" {
  password = "${hashPassword(USER.password)}"
}
`,
      );
      const child = spawn(process.execPath, [join(REPO, 'bin/vmango.js'), '-config', configPath], { cwd: REPO });
      let output = '';
      child.stdout!.on('data', (d) => (output += d));
      child.stderr!.on('data', (d) => (output += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      return { child, exited, log: () => output };
    }

    async function createWhileCloning(name: string, port: number, signal: NodeJS.Signals) {
      const panel = spawnPanel(port);
      const base = `http://127.0.0.1:${port}`;
      const auth = { 'X-Vmango-User': USER.user, 'X-Vmango-Pass': USER.password };
      await until(
        async () =>
          fetch(`${base}/api/providers/`, { headers: auth })
            .then(async (r) => ((await r.json()) as { Providers: { State: string }[] }).Providers[0]?.State === 'connected')
            .catch(() => false),
        30_000,
        'the panel connected',
      );
      const answer = fetch(`${base}/api/machines/`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ Name: name, Plan: 'small', Image: BIG_IMAGE, Provider: 'H' }).toString(),
      }).then(
        (r) => r.status,
        () => 'no answer',
      );
      const pool = await conn.lookupStoragePoolByName(harness.rootPool);
      await until(
        async () => {
          await pool.refresh().catch(() => undefined);
          return (await pool.listVolumeNames()).some((v) => v.name === `${name}_disk`);
        },
        30_000,
        `${name}_disk being cloned`,
      );
      panel.child.kill(signal);
      const code = await panel.exited;
      return { code, answer: await answer, log: panel.log() };
    }

    it('SIGTERM: the create finishes or rolls back before the panel exits, leaving all or nothing', async () => {
      const name = `${PREFIX}-term`;
      const { code, answer, log } = await createWhileCloning(name, 28_000 + (process.pid % 1000), 'SIGTERM');
      expect(code, log.slice(-2000)).toBe(0);
      const left = await leftovers(conn, harness, NET, name);
      console.log(`after SIGTERM mid-clone: answer ${answer}, ${left.join(', ') || 'nothing left'}`);
      if (left.includes(`domain ${name}`)) {
        // It finished: the whole machine, and no mark.
        expect(left.sort()).toEqual(
          [`DHCP host ${name}`, `domain ${name}`, `volume ${name}_config.iso`, `volume ${name}_disk`].sort(),
        );
        await setup.service.sweep('FRZ', { staleAfterMs: 0 });
        expect((await leftovers(conn, harness, NET, name)).sort()).toEqual(left.sort());
      } else {
        expect(left).toEqual([]);
      }
    }, 180_000);

    it('SIGKILL: nothing can roll back, and the sweeper removes what was left', async () => {
      const name = `${PREFIX}-kill`;
      const { answer } = await createWhileCloning(name, 29_000 + (process.pid % 1000), 'SIGKILL');
      const left = await leftovers(conn, harness, NET, name);
      console.log(`after SIGKILL mid-clone: answer ${answer}, left ${left.join(', ')}`);
      expect(left).toContain(`volume ${name}_creating`);
      // libvirtd finishes the clone it was asked for; the sweeper waits for it.
      await new Promise((r) => setTimeout(r, 3_000));
      const report = await setup.service.sweep('FRZ', { staleAfterMs: 0 });
      console.log(`sweeper removed: ${report.removed.join(', ')}`);
      expect(await leftovers(conn, harness, NET, name)).toEqual([]);
    }, 180_000);
  });
});
