// Day-2 operations on a real Debian guest through the REST API on the harness hypervisor (TCG),
// one guest for the whole file. Snapshots: a snapshot of the running guest holds its memory — a
// file written after it is gone after the revert, the guest running on with the uptime it had
// then; a disk-only snapshot of the stopped guest — a file written after it is gone after the
// revert (the running machine comes back running), one written before it stays; deleting the
// snapshots leaves the disk. Resize: after a stop and start the guest sees the new CPUs, memory
// and a root filesystem grown to the new disk size. Clone: the stopped guest's clone boots with
// its own hostname and a distinct address, reachable over ssh at the address the API reports,
// while the source runs too, each holding its own DHCP lease (after the source renews). Rebuild: the running guest's files
// are gone, it answers on the same address with the injected key.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireHarness } from '../../helpers/harness.js';
import {
  api,
  getMachine,
  harnessPanelConfig,
  PLAN,
  pollUntil,
  startHarnessPanel,
  type RunningPanel,
} from './api-helpers/panel.js';
import { addImageToPool, buildGuestImage, installGuestKernel, REPO_DIR } from './helpers/guest-image.js';
import { generateSshKey, sshOk, sshRun, waitForSsh, type SshTarget } from './helpers/guest.js';
import { Cleanup, run } from './helpers/run.js';
import { parseLeases, virsh, watchLeases } from './helpers/virsh.js';

const { env, skipReason } = requireHarness();
const BOOT_TIMEOUT_MS = 6 * 60_000;
const PROVIDER = 'E2E-SNAP';
const KEY_NAME = 'e2e';

describe.skipIf(skipReason !== undefined)('day-2 operations on a real guest through the API', () => {
  const harness = env!;
  const cleanup = new Cleanup();
  let panel: RunningPanel;
  let location = '';
  let target: SshTarget;
  const name = `e2e-snap-${randomBytes(3).toString('hex')}`;

  const snapshots = () => `${location}snapshots/`;
  const post = (path: string, fields: Record<string, string> = {}) => api(panel.base, 'POST', path, new URLSearchParams(fields));
  const uptime = async () => Number((await sshOk(target, 'cut -d" " -f1 /proc/uptime')).trim());
  const exists = async (path: string) => (await sshRun(target, `test -e ${path}`)).code === 0;
  const state = async () => (await getMachine(panel.base, location)).State;

  beforeAll(async () => {
    const image = await buildGuestImage({ onProgress: (chunk) => process.stderr.write(chunk) });
    await installGuestKernel(image);
    const imageVolume = `Debian-12.snap${randomBytes(3).toString('hex')}_amd64_qcow2.img`;
    cleanup.add(
      `delete image volume ${imageVolume}`,
      await addImageToPool(harness.uri, { name: harness.imagePool, dir: harness.imageDir }, image, imageVolume),
    );
    const key = await generateSshKey('vmango-snapshot-e2e');
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
    target = { host: ip, user: 'debian', privateKeyPath: key.privateKeyPath };
    await waitForSsh(target, BOOT_TIMEOUT_MS);
    await sshOk(target, 'cloud-init status --wait', { timeoutMs: 300_000 });
  }, 30 * 60_000);

  afterAll(async () => {
    await cleanup.runAll();
  }, 180_000);

  it(
    'a running snapshot holds memory: a later file is gone after the revert, the guest runs on from then',
    async () => {
      const before = await uptime();
      const taken = await post(snapshots(), { Name: 'live', Description: 'running, with memory' });
      expect(taken.status, taken.text).toBe(201);
      expect(taken.json).toMatchObject({ Snapshot: { Name: 'live', State: 'running', Memory: true } });
      await sshOk(target, 'echo after > /home/debian/after-live && sync');
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      const beforeRevert = await uptime();
      expect(beforeRevert).toBeGreaterThan(before + 9);

      const refused = await post(`${snapshots()}live/revert/`);
      expect(refused.status).toBe(400);
      const revertStarted = performance.now();
      const reverted = await post(`${snapshots()}live/revert/`, { Force: 'true' });
      expect(reverted.status, reverted.text).toBe(200);
      expect(await state()).toBe('running');
      await waitForSsh(target, 120_000);
      expect(await exists('/home/debian/after-live')).toBe(false);
      // Back where the snapshot was taken: the guest has run only since the revert began (plus a
      // little slack), not through the 10 s before it as well.
      const sinceRevert = (performance.now() - revertStarted) / 1000;
      expect((await uptime()) - before).toBeLessThan(sinceRevert + 3);
    },
    10 * 60_000,
  );

  it(
    'a stopped snapshot holds the disks: the revert drops what was written after it and keeps what was before',
    async () => {
      await sshOk(target, 'echo before > /home/debian/before-cold && sync');
      expect((await post(`${location}shutdown/`)).status).toBe(200);
      await pollUntil(`${name}: stopped`, 180_000, async () => ((await state()) === 'stopped' ? true : undefined));
      const taken = await post(snapshots(), { Name: 'cold' });
      expect(taken.status, taken.text).toBe(201);
      expect(taken.json).toMatchObject({ Snapshot: { Name: 'cold', State: 'stopped', Memory: false } });
      expect((await post(`${location}start/`)).status).toBe(200);
      await waitForSsh(target, BOOT_TIMEOUT_MS);
      await sshOk(target, 'echo after > /home/debian/after-cold && sync');

      // Running now: the revert needs Force, and brings the machine back running from the snapshot's disks.
      const reverted = await post(`${snapshots()}cold/revert/`, { Force: 'true' });
      expect(reverted.status, reverted.text).toBe(200);
      expect(await state()).toBe('running');
      await waitForSsh(target, BOOT_TIMEOUT_MS);
      expect(await exists('/home/debian/after-cold')).toBe(false);
      expect(await exists('/home/debian/before-cold')).toBe(true);
    },
    15 * 60_000,
  );

  it('deleting the snapshots leaves the machine and its disk', async () => {
    for (const snapshot of ['live', 'cold']) {
      const res = await api(panel.base, 'DELETE', `${snapshots()}${snapshot}/`);
      expect(res.status, snapshot).toBe(204);
    }
    const list = (await api(panel.base, 'GET', snapshots())).json as { Snapshots: unknown[] };
    expect(list.Snapshots).toEqual([]);
    expect((await virsh(harness.uri, 'snapshot-list', '--name', name)).trim()).toBe('');
    expect(await virsh(harness.uri, 'vol-list', harness.rootPool)).toContain(`${name}_disk`);
    expect(await state()).toBe('running');
  }, 120_000);

  it(
    'resize: after a stop and start the guest sees the new CPUs, memory and root filesystem',
    async () => {
      expect((await post(`${location}shutdown/`)).status).toBe(200);
      await pollUntil(`${name}: stopped`, 180_000, async () => ((await state()) === 'stopped' ? true : undefined));
      const resized = await post(`${location}resize/`, {
        Cpus: '2',
        MemoryMegabytes: '768',
        DiskSizeGigabytes: String(PLAN.diskGiB + 1),
      });
      expect(resized.status, resized.text).toBe(200);
      expect(resized.json).toMatchObject({ AppliedNow: ['disk'], AtNextBoot: ['cpus', 'memory'] });
      expect((await post(`${location}start/`)).status).toBe(200);
      await waitForSsh(target, BOOT_TIMEOUT_MS);
      await sshOk(target, 'cloud-init status --wait', { timeoutMs: 300_000 });
      expect((await sshOk(target, 'nproc')).trim()).toBe('2');
      const memTotalKiB = Number(/MemTotal:\s+(\d+) kB/.exec(await sshOk(target, 'cat /proc/meminfo'))![1]);
      expect(memTotalKiB).toBeGreaterThan(600 * 1024);
      expect(memTotalKiB).toBeLessThanOrEqual(768 * 1024);
      const rootBytes = Number((await sshOk(target, 'df -B1 --output=size / | tail -n 1')).trim());
      expect(rootBytes).toBeGreaterThan(0.9 * (PLAN.diskGiB + 1) * 1024 ** 3);
      const machine = (await api(panel.base, 'GET', location)).json as { Machine: { Cpus: number; Memory: number } };
      expect(machine.Machine).toMatchObject({ Cpus: 2, Memory: 768 * 1024 ** 2 });
    },
    15 * 60_000,
  );

  it(
    'clone: boots with its own hostname and address, reachable over ssh while the source runs too',
    async () => {
      expect((await post(`${location}shutdown/`)).status).toBe(200);
      await pollUntil(`${name}: stopped`, 180_000, async () => ((await state()) === 'stopped' ? true : undefined));
      const cloneName = `${name}-c`;
      const leaseHistory = watchLeases(harness.uri, harness.network);
      cleanup.add('stop watching DHCP leases', async () => void (await leaseHistory.stop()));
      const cloned = await post(`${location}clone/`, { Name: cloneName });
      expect(cloned.status, cloned.text).toBe(201);
      const cloneLocation = cloned.headers.get('location')!;
      cleanup.add(`delete machine ${cloneName}`, async () => {
        const res = await api(panel.base, 'DELETE', cloneLocation);
        if (res.status !== 204) await run('virsh', ['-c', harness.uri, 'destroy', cloneName]);
      });
      const started = await post(`${location}start/`);
      expect(
        started.status,
        `${started.text} ${JSON.stringify(panel.logLines.filter((l) => l.level === 'error' || l.level === 50).slice(-3))}`,
      ).toBe(200);

      const source = await getMachine(panel.base, location);
      const clone = await getMachine(panel.base, cloneLocation);
      expect(clone.Name).toBe(cloneName);
      expect(clone.HWAddr).not.toBe(source.HWAddr);
      expect(clone.Ip?.Address).toBeTruthy();
      expect(clone.Ip!.Address).not.toBe(source.Ip!.Address);
      const cloneTarget: SshTarget = { ...target, host: clone.Ip!.Address };
      await Promise.all([waitForSsh(target, BOOT_TIMEOUT_MS), waitForSsh(cloneTarget, BOOT_TIMEOUT_MS)]);
      await sshOk(cloneTarget, 'cloud-init status --wait', { timeoutMs: 300_000 });
      expect((await sshOk(cloneTarget, 'hostname')).trim()).toBe(cloneName);
      expect((await sshOk(target, 'hostname')).trim()).toBe(name);
      // The source's files came along.
      expect((await sshRun(cloneTarget, 'test -e /home/debian/before-cold')).code).toBe(0);
      // The clone made a machine id of its own from the vendor data (its disk held the source's,
      // and networkd's DHCP client id comes from it).
      const ids = await Promise.all([target, cloneTarget].map(async (t) => (await sshOk(t, 'cat /etc/machine-id')).trim()));
      expect(ids[1]).toMatch(/^[0-9a-f]{32}$/);
      expect(ids[1]).not.toBe(ids[0]);
      // The source renews its lease, as it does at half its lease time: it keeps its address, and
      // dnsmasq then holds one lease for each, under two client ids — none left under the source's
      // id for the clone's address, which would have the source's renewal refused.
      const iface = (await sshOk(target, "ip -o -4 addr show scope global | awk '{print $2; exit}'")).trim();
      expect(iface).toMatch(/^[a-z0-9]+$/);
      await sshOk(target, `sudo networkctl renew ${iface}`);
      const settled = await pollUntil('a DHCP lease for each machine', 60_000, async () => {
        const leases = parseLeases(await virsh(harness.uri, 'net-dhcp-leases', harness.network));
        const mine = leases.find((l) => l.mac === source.HWAddr.toLowerCase());
        const theirs = leases.find((l) => l.mac === clone.HWAddr.toLowerCase());
        return mine && theirs ? { leases, mine, theirs } : undefined;
      });
      console.log(`DHCP leases while the clone booted:\n${await leaseHistory.stop()}`);
      expect(settled.mine.ip).toBe(source.Ip!.Address);
      expect(settled.theirs.ip).toBe(clone.Ip!.Address);
      expect(settled.mine.clientId).not.toBe(settled.theirs.clientId);
      expect(settled.leases.filter((l) => l.clientId === settled.mine.clientId)).toHaveLength(1);
      // Each answers at the address the API reports.
      expect((await sshOk(cloneTarget, 'ip -4 -o addr show scope global')).includes(clone.Ip!.Address)).toBe(true);
      expect((await sshOk(target, 'ip -4 -o addr show scope global')).includes(source.Ip!.Address)).toBe(true);
    },
    20 * 60_000,
  );

  it(
    'rebuild: the files are gone, the guest answers on the same address with the injected key',
    async () => {
      await sshOk(target, 'echo mine > /home/debian/before-rebuild && sync');
      const before = await getMachine(panel.base, location);
      const rebuilt = await post(`${location}rebuild/`, { SSHKey: KEY_NAME });
      expect(rebuilt.status, rebuilt.text).toBe(200);
      const after = await getMachine(panel.base, location);
      expect({ id: after.Id, mac: after.HWAddr, ip: after.Ip?.Address, state: after.State }).toEqual({
        id: before.Id,
        mac: before.HWAddr,
        ip: before.Ip?.Address,
        state: 'running',
      });
      await waitForSsh(target, BOOT_TIMEOUT_MS);
      await sshOk(target, 'cloud-init status --wait', { timeoutMs: 300_000 });
      expect(await exists('/home/debian/before-rebuild')).toBe(false);
      expect(await exists('/home/debian/before-cold')).toBe(false);
      expect((await sshOk(target, 'hostname')).trim()).toBe(name);
    },
    15 * 60_000,
  );
});
