// The QEMU guest agent on a real Debian guest (the harness image, which has qemu-guest-agent, and
// the direct-kernel template, which has its channel), one guest for the whole file, booted through
// the panel and reached over ssh. Guest facts from GET /api/machines/{provider}/{id}/guest/ match
// what ssh reports; the binding's agent calls (keys, password, freeze/thaw, trim, shutdown) do what
// they say in the guest; with the agent stopped inside the guest (kill -STOP) the facts call fails
// within its deadline while the machine list keeps answering; and many agent calls at once, on
// this guest and on guests whose agent never answers, while bulk listings run, neither crash the
// process nor give a wrong answer.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_PING_MS } from '../../../server/services/machines/state-service.js';
import { ErrorCode, LibvirtError, openConnection, type Connection, type Domain } from '../../../server/libvirt/index.js';
import { PING_TIMEOUT_MS } from '../../../server/services/guest/guest-service.js';
import { requireHarness } from '../../helpers/harness.js';
import {
  api,
  getMachine,
  harnessPanelConfig,
  PLAN,
  pollUntil,
  startHarnessPanel,
  type RunningPanel,
} from '../e2e/api-helpers/panel.js';
import { addImageToPool, buildGuestImage, installGuestKernel, REPO_DIR } from '../e2e/helpers/guest-image.js';
import { generateSshKey, sshOk, sshRun, waitForSsh, type SshTarget } from '../e2e/helpers/guest.js';
import { Cleanup, run } from '../e2e/helpers/run.js';

const { env, skipReason } = requireHarness();
const BOOT_TIMEOUT_MS = 6 * 60_000;
const PROVIDER = 'E2E-AGENT';
const KEY_NAME = 'e2e';
const STRESS_CHILD = fileURLToPath(new URL('../../libvirt/children/agent-stress.ts', import.meta.url));
const STRESS_SECONDS = Number(process.env.STRESS_SECONDS ?? 60);

interface FactsJson {
  Machine: { Name: string; State: string };
  Agent: { Answering: boolean; Version?: string; Error?: string };
  Os: { Id: string; VersionId: string; PrettyName: string; KernelRelease: string } | null;
  Hostname: string;
  Timezone: { Name: string; OffsetSeconds: number | null } | null;
  Users: { Name: string }[];
  Filesystems: { Mountpoint: string; Device: string; Type: string; TotalBytes: number | null; UsedBytes: number | null }[];
  Nics: { Name: string; Mac: string; Addresses: { Type: string; Address: string; Prefix: number }[] }[];
}

async function rejection(promise: Promise<unknown>): Promise<LibvirtError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof LibvirtError)) throw new Error(`expected a LibvirtError, got ${String(err)}`);
  return err;
}

describe.skipIf(skipReason !== undefined)('the QEMU guest agent of a real guest', () => {
  const harness = env!;
  const cleanup = new Cleanup();
  let panel: RunningPanel;
  let conn: Connection;
  let domain: Domain;
  let location = '';
  let target: SshTarget;
  let mac = '';
  const name = `e2e-agent-${randomBytes(3).toString('hex')}`;

  const facts = async (): Promise<{ status: number; ms: number; body: FactsJson }> => {
    const started = performance.now();
    const res = await api(panel.base, 'GET', `${location}guest/`);
    return { status: res.status, ms: performance.now() - started, body: res.json as FactsJson };
  };
  const agentPid = async () => (await sshOk(target, 'pidof qemu-ga')).trim();

  beforeAll(async () => {
    const image = await buildGuestImage({ onProgress: (chunk) => process.stderr.write(chunk) });
    expect(image.manifest.packages).toContain('qemu-guest-agent');
    await installGuestKernel(image);
    const imageVolume = `Debian-12.agent${randomBytes(3).toString('hex')}_amd64_qcow2.img`;
    cleanup.add(
      `delete image volume ${imageVolume}`,
      await addImageToPool(harness.uri, { name: harness.imagePool, dir: harness.imageDir }, image, imageVolume),
    );
    const key = await generateSshKey('vmango-agent-e2e');
    cleanup.add('remove the ssh key', key.remove);
    panel = await startHarnessPanel(
      harnessPanelConfig(harness, {
        repo: REPO_DIR,
        providers: [{ name: PROVIDER, configDriveFormat: 'nocloud' }],
        sshKey: { name: KEY_NAME, public: key.publicKey },
      }),
    );
    cleanup.add('close the panel', () => panel.close());
    await pollUntil('the image is listed', 60_000, async () => {
      const body = (await api(panel.base, 'GET', '/api/images/')).json as { Images: Record<string, { Id: string }[]> };
      return body.Images[PROVIDER]?.some((i) => i.Id === imageVolume) ? true : undefined;
    });
    const form = new URLSearchParams({ Name: name, Plan: PLAN.name, Image: imageVolume, Provider: PROVIDER });
    form.append('SSHKey', KEY_NAME);
    const created = await api(panel.base, 'POST', '/api/machines/', form);
    expect(created.status, created.text).toBe(201);
    location = created.headers.get('location')!;
    cleanup.add(`delete machine ${name}`, async () => {
      const res = await api(panel.base, 'DELETE', location);
      if (res.status !== 204) await run('virsh', ['-c', harness.uri, 'destroy', name]);
    });
    const ip = await pollUntil(
      `${name}: an address`,
      BOOT_TIMEOUT_MS,
      async () => (await getMachine(panel.base, location)).Ip?.Address || undefined,
    );
    mac = (await getMachine(panel.base, location)).HWAddr.toLowerCase();
    target = { host: ip, user: 'debian', privateKeyPath: key.privateKeyPath };
    await waitForSsh(target, BOOT_TIMEOUT_MS);
    await sshOk(target, 'cloud-init status --wait', { timeoutMs: 300_000 });
    // udev starts the agent once its channel's port appears (no unit to enable).
    await pollUntil('qemu-ga runs in the guest', 120_000, async () =>
      (await sshRun(target, 'pidof qemu-ga')).code === 0 ? true : undefined,
    );
    conn = await openConnection(harness.uri, { callTimeoutMs: 60_000 });
    cleanup.add('close the test connection', () => conn.close());
    domain = await conn.lookupDomainByName(name);
  }, 30 * 60_000);

  afterAll(async () => {
    // Never leave the agent stopped (the cleanup's graceful paths would wait on it).
    if (target) await sshRun(target, 'sudo pkill -CONT qemu-ga', 20_000).catch(() => undefined);
    await cleanup.runAll();
  }, 180_000);

  it('guest facts match what ssh into the guest reports', async () => {
    const first = await pollUntil('the agent answers', 120_000, async () => {
      const f = await facts();
      return f.status === 200 && f.body.Agent.Answering ? f : undefined;
    });
    const { body } = first;
    const [hostname, kernel, osRelease, ipJson, df] = await Promise.all([
      sshOk(target, 'hostname'),
      sshOk(target, 'uname -r'),
      sshOk(target, '. /etc/os-release && echo "$ID $VERSION_ID"'),
      sshOk(target, 'ip -j addr show'),
      sshOk(target, 'df -B1 --output=size,used,avail / | tail -n 1'),
    ]);
    expect(body.Machine.Name).toBe(name);
    expect(body.Agent.Version).toMatch(/^\d+\.\d+/);
    expect(body.Hostname).toBe(hostname.trim());
    expect(body.Os?.KernelRelease).toBe(kernel.trim());
    expect(`${body.Os?.Id} ${body.Os?.VersionId}`).toBe(osRelease.trim());
    expect(body.Timezone?.Name).toBeTruthy();
    expect(Array.isArray(body.Users)).toBe(true);

    // Every address ssh sees is in the facts, on the card with the same MAC.
    const links = JSON.parse(ipJson) as { ifname: string; address: string; addr_info: { local: string; prefixlen: number }[] }[];
    for (const link of links) {
      const nic = body.Nics.find((n) => n.Name === link.ifname);
      expect(nic, link.ifname).toBeDefined();
      if (link.ifname !== 'lo') expect(nic!.Mac.toLowerCase()).toBe(link.address.toLowerCase());
      for (const addr of link.addr_info) {
        expect(nic!.Addresses).toContainEqual(expect.objectContaining({ Address: addr.local, Prefix: addr.prefixlen }));
      }
    }
    expect(body.Nics.some((n) => n.Mac.toLowerCase() === mac)).toBe(true);

    // The root filesystem as df sees it: the agent's total is what a user other than root may fill
    // (df's Used + Avail, without the blocks ext4 reserves for root), its use the same give or take
    // what the guest writes meanwhile.
    const [size, used, avail] = df.trim().split(/\s+/).map(Number) as [number, number, number];
    const root = body.Filesystems.find((fs) => fs.Mountpoint === '/');
    expect(root, JSON.stringify(body.Filesystems)).toBeDefined();
    expect(root!.Type).toBe('ext4');
    expect(root!.TotalBytes).toBe(used + avail);
    expect(root!.TotalBytes).toBeLessThanOrEqual(size);
    expect(Math.abs(root!.UsedBytes! - used)).toBeLessThan(64 * 1024 ** 2);

    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const f = await facts();
      expect(f.body.Agent.Answering).toBe(true);
      times.push(f.ms);
    }
    times.sort((a, b) => a - b);
    console.log(`guest facts over the API: ${times.map((t) => t.toFixed(0)).join(', ')} ms (p50 ${times[2]!.toFixed(0)} ms)`);
  }, 300_000);

  it('the binding: agent commands, SSH keys, password, freeze and thaw, trim', async () => {
    const agent = domain.agent();
    const about = await agent.info();
    expect(about.commands).toEqual(expect.arrayContaining(['guest-ping', 'guest-get-osinfo', 'guest-fsfreeze-freeze']));
    expect(await agent.command({ execute: 'guest-get-host-name' })).toEqual({
      'host-name': (await sshOk(target, 'hostname')).trim(),
    });

    // SSH keys: the panel's key is there; one appended lets a new key in; removed, it is gone.
    const keys = await agent.authorizedSshKeys('debian');
    const panelKey = (await sshOk(target, 'cat ~/.ssh/authorized_keys')).trim().split('\n').filter(Boolean);
    expect(keys.map((k) => k.trim())).toEqual(expect.arrayContaining(panelKey.map((k) => k.trim())));
    const second = await generateSshKey('vmango-agent-second');
    try {
      await agent.setAuthorizedSshKeys('debian', [second.publicKey.trim()], { mode: 'append' });
      const withSecond = { ...target, privateKeyPath: second.privateKeyPath };
      expect((await sshOk(withSecond, 'echo in')).trim()).toBe('in');
      await agent.setAuthorizedSshKeys('debian', [second.publicKey.trim()], { mode: 'remove' });
      expect((await agent.authorizedSshKeys('debian')).map((k) => k.trim())).not.toContain(second.publicKey.trim());
      expect((await sshRun(withSecond, 'true', 30_000)).code).toBe(255);
    } finally {
      await second.remove();
    }

    // A password set through the agent is the one the guest's shadow file checks.
    const password = `pw-${randomBytes(6).toString('hex')}`;
    await agent.setUserPassword('debian', password);
    const hash = (await sshOk(target, `sudo awk -F: '$1 == "debian" { print $2 }' /etc/shadow`)).trim();
    expect(hash).toMatch(/^\$/);
    const check = `python3 -W ignore -c 'import crypt, sys; print(crypt.crypt(sys.argv[1], sys.argv[2]) == sys.argv[2])'`;
    expect((await sshOk(target, `${check} '${password}' '${hash}'`)).trim()).toBe('True');
    expect((await sshOk(target, `${check} 'not-${password}' '${hash}'`)).trim()).toBe('False');

    // Freeze and thaw: the agent says frozen in between.
    const frozen = await agent.fsFreeze();
    try {
      expect(frozen).toBeGreaterThanOrEqual(1);
      expect(await agent.command({ execute: 'guest-fsfreeze-status' })).toBe('frozen');
    } finally {
      expect(await agent.fsThaw()).toBe(frozen);
    }
    expect(await agent.command({ execute: 'guest-fsfreeze-status' })).toBe('thawed');
    await agent.fsTrim();
    // libvirt's QEMU driver trims every filesystem or none: one mountpoint is refused, clearly.
    expect((await rejection(agent.fsTrim({ mountPoint: '/' }))).message).toMatch(/mount point is not supported/);

    // Arguments are checked before anything reaches the guest.
    await expect(agent.command({ execute: 'rm -rf' })).rejects.toThrow(/guest-… name/);
    await expect(agent.ping({ timeoutMs: 10 })).rejects.toThrow(/timeoutMs must be whole milliseconds/);
  }, 300_000);

  it('a hung agent fails its facts call within the deadline while the machine list keeps answering', async () => {
    const pid = await agentPid();
    await sshOk(target, `sudo kill -STOP ${pid}`);
    try {
      let listing = true;
      const listTimes: number[] = [];
      const lists = (async () => {
        while (listing) {
          const started = performance.now();
          const res = await api(panel.base, 'GET', '/api/machines/');
          expect(res.status).toBe(200);
          listTimes.push(performance.now() - started);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const [hung, page] = await Promise.all([facts(), api(panel.base, 'GET', location)]);
      // The binding too: the ping fails with libvirt's own answer, and the main connection is not held up.
      const started = performance.now();
      const [pingError, domains] = await Promise.all([
        rejection(domain.agent().ping({ timeoutMs: 8_000 })),
        conn.listAllDomains({ withXml: false }),
      ]);
      const pingMs = performance.now() - started;
      listing = false;
      await lists;

      expect(hung.status).toBe(200);
      expect(hung.body.Agent.Answering).toBe(false);
      expect(hung.body.Agent.Error).toMatch(/^guest agent not answering: /);
      expect(hung.body.Os).toBeNull();
      expect(hung.ms).toBeLessThan(PING_TIMEOUT_MS + 2_000);
      expect(page.status).toBe(200);
      expect([ErrorCode.AGENT_UNRESPONSIVE, ErrorCode.TIMEOUT]).toContain(pingError.code);
      expect(pingMs).toBeLessThan(8_500);
      expect(domains.some((d) => d.name === name)).toBe(true);
      expect(listTimes.length).toBeGreaterThan(3);
      expect(Math.max(...listTimes)).toBeLessThan(2_000);
      console.log(
        `hung agent: facts answered in ${hung.ms.toFixed(0)} ms (${hung.body.Agent.Error}); ` +
          `ping failed in ${pingMs.toFixed(0)} ms; ${listTimes.length} lists, slowest ${Math.max(...listTimes).toFixed(0)} ms`,
      );
    } finally {
      await sshOk(target, `sudo kill -CONT ${pid}`);
    }
    await pollUntil('the agent answers again', 120_000, async () => ((await facts()).body.Agent.Answering ? true : undefined));
  }, 300_000);

  it(
    'many agent calls at once, on this guest and on guests nobody answers for, while bulk listings run: no crash, every answer right',
    async () => {
      const [hostname, kernel] = (await Promise.all([sshOk(target, 'hostname'), sshOk(target, 'uname -r')])).map((s) => s.trim());
      const child = spawn(process.execPath, ['--import', 'tsx', STRESS_CHILD], {
        env: {
          ...process.env,
          STRESS_SECONDS: String(STRESS_SECONDS),
          AGENT_GUEST: name,
          AGENT_HOSTNAME: hostname,
          AGENT_KERNEL: kernel,
          AGENT_MAC: mac,
        },
      });
      let out = '';
      let err = '';
      let began: () => void = () => undefined;
      const running = new Promise<void>((resolve) => (began = resolve));
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => {
        err += d;
        if (err.includes('agent stress:')) began();
      });
      const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
        child.on('exit', (c, s) => resolve([c, s])),
      );
      // A quarter of the way in, the agent hangs for ten seconds.
      await Promise.race([running, exited]);
      await new Promise((r) => setTimeout(r, (STRESS_SECONDS * 1000) / 4));
      const pid = await agentPid();
      const stoppedAt = Date.now();
      await sshOk(target, `sudo kill -STOP ${pid}`);
      await new Promise((r) => setTimeout(r, 10_000));
      await sshOk(target, `sudo kill -CONT ${pid}`);
      const resumedAt = Date.now();
      const [code, signal] = await exited;
      expect(signal, err.slice(-2000)).toBeNull();
      expect(code, err.slice(-2000)).toBe(0);
      const result = JSON.parse(out.trim().split('\n').pop()!) as {
        right: number;
        wrong: string[];
        agentFailures: number;
        unexpected: string[];
        lastRightAt: number;
        firstFailureAt: number;
        maxAgentCallMs: number;
        echoFailures: number;
        echoUnexpected: string[];
        listings: number;
        maxListingMs: number;
        listingFailures: string[];
        partial: number;
      };
      console.log(`agent stress: ${JSON.stringify({ ...result, stoppedAt, resumedAt })}`);
      expect(result.wrong).toEqual([]);
      expect(result.unexpected).toEqual([]);
      expect(result.echoUnexpected).toEqual([]);
      expect(result.listingFailures).toEqual([]);
      expect(result.right).toBeGreaterThan(50);
      // Infos that lacked their interfaces (counted, not wrong): a few, around the agent's pause.
      expect(result.partial).toBeLessThan(result.right / 10);
      expect(result.agentFailures).toBeGreaterThan(0);
      expect(result.firstFailureAt).toBeGreaterThanOrEqual(stoppedAt - 1_000);
      expect(result.lastRightAt).toBeGreaterThan(resumedAt);
      expect(result.echoFailures).toBeGreaterThan(50);
      expect(result.maxAgentCallMs).toBeLessThan(8_000 + 1_000);
      expect(result.listings).toBeGreaterThan(20);
      expect(result.maxListingMs).toBeLessThan(5_000);
    },
    STRESS_SECONDS * 1000 + 240_000,
  );

  it(
    'a reboot with the agent stopped goes by the ACPI power button and says so; the guest boots again',
    async () => {
      const bootId = (await sshOk(target, 'cat /proc/sys/kernel/random/boot_id')).trim();
      const pid = await agentPid();
      await sshOk(target, `sudo kill -STOP ${pid}`);
      const started = performance.now();
      const res = await api(panel.base, 'POST', `${location}reboot/`);
      const ms = performance.now() - started;
      expect(res.status, res.text).toBe(200);
      expect(res.json).toEqual({ Message: `Action reboot done for machine ${name}`, Via: 'acpi' });
      // The agent's ping had its 2 s; nothing waited on the stopped agent beyond it.
      expect(ms).toBeLessThan(AGENT_PING_MS + 5_000);
      await pollUntil(`${name}: booted again`, BOOT_TIMEOUT_MS, async () => {
        const now = await sshRun(target, 'cat /proc/sys/kernel/random/boot_id', 10_000).catch(() => undefined);
        return now?.code === 0 && now.stdout.trim() !== bootId ? true : undefined;
      });
      await pollUntil('qemu-ga runs in the guest again', 120_000, async () =>
        (await sshRun(target, 'pidof qemu-ga')).code === 0 ? true : undefined,
      );
      await pollUntil('the agent answers again', 120_000, async () => ((await facts()).body.Agent.Answering ? true : undefined));
      console.log(`ACPI reboot with the agent stopped: answered in ${ms.toFixed(0)} ms`);
    },
    BOOT_TIMEOUT_MS + 300_000,
  );

  it('a shutdown goes through the agent when it answers, says so, and powers the guest off', async () => {
    const res = await api(panel.base, 'POST', `${location}shutdown/`);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({ Message: `Action shutdown done for machine ${name}`, Via: 'agent' });
    await pollUntil(`${name}: stopped`, 240_000, async () =>
      (await getMachine(panel.base, location)).State === 'stopped' ? true : undefined,
    );
    const stopped = await facts();
    expect(stopped.status).toBe(200);
    expect(stopped.body.Agent).toEqual({ Answering: false, Error: 'guest agent not answering: the machine is stopped' });
    // The audit log has both, with how each reached the guest.
    const audit = await api(panel.base, 'GET', `/api/audit/?action=machine.power&machine=${location.split('/')[4]}`);
    const vias = (audit.json as { Entries: { Detail: { action: string; via?: string } }[] }).Entries.map(
      (e) => `${e.Detail.action}:${e.Detail.via ?? ''}`,
    );
    expect(vias.slice(0, 2)).toEqual(['shutdown:agent', 'reboot:acpi']);
  }, 300_000);
});
