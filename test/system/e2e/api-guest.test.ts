// End-to-end through the REST API: the real panel (in-process, as server/panel.ts wires it) on the
// real hypervisor (the harness, TCG) creates a Debian 12 cloud guest from the guest image with
// templates/vm-direct-kernel.xml.in; the guest boots from the panel's own config drive (OpenStack,
// then NoCloud), takes the address the panel reserved and reports, and lets the API's SSH key in.
// Then reboot, graceful shutdown and delete through the API, checked on the guest and in libvirt.
// The two guests run one after the other, and the second must get the address the first freed.
// Everything the test makes is removed afterwards, through the API or else with virsh.
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { requireHarness } from '../../helpers/harness.js';
import {
  api,
  getMachine,
  harnessPanelConfig,
  PLAN,
  pollUntil,
  startHarnessPanel,
  USER,
  type RunningPanel,
} from './api-helpers/panel.js';
import { addImageToPool, buildGuestImage, installGuestKernel, REPO_DIR, type GuestImage } from './helpers/guest-image.js';
import { generateSshKey, sshOk, sshRun, waitForLease, waitForSsh, type SshKey, type SshTarget } from './helpers/guest.js';
import { Cleanup, run } from './helpers/run.js';
import { parseLeases, virsh } from './helpers/virsh.js';

const { env, skipReason } = requireHarness();
const GiB = 1024 ** 3;
/** TCG on two shared cores: boot to ssh is about 1–2 minutes, cloud-init a little more. */
const BOOT_TIMEOUT_MS = 6 * 60_000;
/** A graceful (ACPI) shutdown of the guest, until the API reports it stopped. */
const SHUTDOWN_TIMEOUT_MS = 3 * 60_000;
const KEY_NAME = 'e2e';
const keep = process.env.VMANGO_E2E_KEEP === '1';

const FORMATS = [
  { format: 'openstack' as const, provider: 'E2E-OPENSTACK', datasource: 'DataSourceConfigDrive' },
  { format: 'nocloud' as const, provider: 'E2E-NOCLOUD', datasource: 'DataSourceNoCloud' },
];

const title =
  skipReason === undefined
    ? "REST API e2e: a real guest boots from the panel's config drive, gets its address, lets us in"
    : `REST API guest e2e (skipped: ${skipReason})`;

describe.skipIf(skipReason !== undefined)(title, () => {
  const harness = env!;
  const shared = new Cleanup();
  let image: GuestImage;
  let imageVolume: string;
  let key: SshKey;
  let panel: RunningPanel;
  /** The address the first guest had, freed by its delete (the second guest must get it). */
  let freedAddress: string | undefined;

  beforeAll(async () => {
    const started = performance.now();
    image = await buildGuestImage({ onProgress: (chunk) => process.stderr.write(chunk) });
    await installGuestKernel(image);
    // A name of our own (vmango's image naming rule: OS_arch_format.img), removed afterwards.
    imageVolume = `Debian-12.api${randomBytes(3).toString('hex')}_amd64_qcow2.img`;
    shared.add(
      `delete image volume ${imageVolume}`,
      await addImageToPool(harness.uri, { name: harness.imagePool, dir: harness.imageDir }, image, imageVolume),
    );
    key = await generateSshKey('vmango-api-e2e');
    shared.add('remove the ssh key', key.remove);
    const config = harnessPanelConfig(harness, {
      repo: REPO_DIR,
      providers: FORMATS.map(({ provider, format }) => ({ name: provider, configDriveFormat: format })),
      sshKey: { name: KEY_NAME, public: key.publicKey },
    });
    panel = await startHarnessPanel(config);
    shared.add('close the panel', () => panel.close());
    // Both providers connected, and the image listed by the API.
    const images = await pollUntil('the API lists the image on both providers', 60_000, async () => {
      const res = await api(panel.base, 'GET', '/api/images/');
      const body = res.json as { Images: Record<string, { Id: string }[]> } | undefined;
      return FORMATS.every(({ provider }) => body?.Images[provider]?.some((i) => i.Id === imageVolume)) ? body : undefined;
    });
    expect(images).toBeDefined();
    console.log(
      `setup: image ${image.dir} (build ${image.seconds.toFixed(1)} s) as ${imageVolume}; panel at ${panel.base}; ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }, 30 * 60_000);

  afterAll(async () => {
    if (!keep) await shared.runAll();
  }, 180_000);

  it.each(FORMATS)(
    '$format drive: create, boot, ssh, reboot, shutdown, delete through the API',
    async ({ format, provider, datasource }) => {
      const uri = harness.uri;
      const t0 = performance.now();
      const timings: Record<string, number> = {};
      const mark = (what: string): void => {
        timings[what] = Number(((performance.now() - t0) / 1000).toFixed(1));
      };
      const name = `e2e-api-${format}-${randomBytes(3).toString('hex')}`;
      const marker = `marker-${randomBytes(8).toString('hex')}`;
      const userdata = [
        '#cloud-config',
        'write_files:',
        '  - path: /var/lib/vmango-e2e/marker',
        `    content: ${marker}`,
        '',
      ].join('\n');

      // Whatever happens: through the API if the machine is still there, else with virsh.
      let location: string | undefined;
      let deleted = false;
      onTestFinished(async (ctx) => {
        if (ctx.task.result?.state === 'fail') {
          console.log(
            `${name}: panel log (last 30 lines)\n${panel.logLines
              .slice(-30)
              .map((l) => JSON.stringify(l))
              .join('\n')}`,
          );
          console.log(await serialTail(name));
        }
        if (keep) return;
        if (!deleted) await removeMachine(uri, name, location, panel.base);
        await rm(serialLogPath(name), { force: true });
        await rm(`/var/log/libvirt/qemu/${name}.log`, { force: true });
      });

      // 1. Create: a form, as vmango 0.6 took it.
      const form = new URLSearchParams({
        Name: name,
        Plan: PLAN.name,
        Image: imageVolume,
        Provider: provider,
        Userdata: userdata,
      });
      form.append('SSHKey', KEY_NAME);
      const created = await api(panel.base, 'POST', '/api/machines/', form);
      mark('created');
      expect(created.status, created.text).toBe(201);
      location = created.headers.get('location') ?? '';
      const id = new RegExp(`^/api/machines/${provider}/([0-9a-f]{32})/$`).exec(location)?.[1];
      expect(id, `Location: ${location}`).toBeDefined();
      expect(created.json).toEqual({ Message: `Machine ${name} (${id}) created` });

      const detail = await getMachine(panel.base, location);
      expect(detail).toMatchObject({
        Id: id,
        Name: name,
        Plan: PLAN.name,
        Creator: USER.user,
        Provider: provider,
        Managed: true,
        SSHKeys: [{ Name: KEY_NAME, Public: key.publicKey }],
      });
      expect(detail.HWAddr).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/i);
      const mac = detail.HWAddr.toLowerCase();
      // The panel's volumes are in the root pool and the domain has its config drive.
      const volumes = await rootVolumes(uri, harness.rootPool);
      expect(volumes).toContain(`${name}_disk`);
      expect(volumes).toContain(`${name}_config.iso`);
      expect(await virsh(uri, 'vol-info', '--bytes', '--pool', harness.rootPool, `${name}_disk`)).toMatch(
        new RegExp(`Capacity:\\s+${PLAN.diskGiB * GiB} bytes`),
      );
      expect((await virsh(uri, 'domstate', name)).trim()).toBe('running');

      // 2. The API reports an address; it is the guest's lease, and ssh answers there with our key.
      const ip = await pollUntil(
        `${name}: the API reports an IP`,
        BOOT_TIMEOUT_MS,
        async () => (await getMachine(panel.base, location!)).Ip?.Address || undefined,
      );
      mark('api-ip');
      expect(ip).toMatch(/^192\.168\.150\.\d+$/);
      // One after the other: the second guest gets the address the first one's delete freed.
      const first = format === FORMATS[0]!.format;
      if (!first) {
        expect.soft(freedAddress, `the ${FORMATS[0]!.format} guest did not finish, nothing to compare with`).toBeDefined();
        expect
          .soft(
            ip,
            'the second guest got the address the first one freed (see "lease after shutdown" above: dnsmasq keeps an unreleased lease)',
          )
          .toBe(freedAddress);
      }
      expect(await dhcpHostsOf(uri, harness.network, mac)).toEqual([{ mac, ip, name }]);
      const lease = await waitForLease(uri, harness.network, mac, BOOT_TIMEOUT_MS);
      mark('lease');
      expect(lease.ip, 'the address the API reports is the one the guest leased').toBe(ip);
      const target: SshTarget = { host: ip, user: 'debian', privateKeyPath: key.privateKeyPath };
      await waitForSsh(target, BOOT_TIMEOUT_MS);
      mark('ssh');
      // The API still reports that address once the guest is up.
      expect((await getMachine(panel.base, location)).Ip?.Address).toBe(ip);

      // 3. What cloud-init made of the panel's config drive.
      expect(await sshOk(target, 'cloud-init status --wait --long', { timeoutMs: 300_000 })).toMatch(/status: done/);
      mark('cloud-init');
      expect((await sshOk(target, 'hostname')).trim()).toBe(name);
      expect((await sshOk(target, 'cat /var/lib/vmango-e2e/marker')).trim()).toBe(marker);
      expect(await sshOk(target, 'cat ~/.ssh/authorized_keys')).toContain(key.publicKey);
      expect((await sshOk(target, 'cat /var/lib/cloud/data/instance-id')).trim()).toBe(id);
      expect(await sshOk(target, 'cat /run/cloud-init/result.json')).toContain(datasource);
      const rootBytes = Number((await sshOk(target, 'df -B1 --output=size / | tail -n 1')).trim());
      expect(rootBytes).toBeGreaterThan(0.9 * PLAN.diskGiB * GiB);
      expect(rootBytes).toBeLessThanOrEqual(PLAN.diskGiB * GiB);
      // The guest's own view of its address.
      expect(await sshOk(target, 'ip -4 -o addr show dev eth0')).toContain(` ${ip}/24 `);

      // 4. Reboot through the API really restarts the guest (a new boot id), at the same address.
      const bootId = (await sshOk(target, 'cat /proc/sys/kernel/random/boot_id')).trim();
      expect(bootId).toMatch(/^[0-9a-f-]{36}$/);
      const rebootAt = performance.now();
      const reboot = await api(panel.base, 'POST', `${location}reboot/`);
      expect({ status: reboot.status, json: reboot.json }).toEqual({
        status: 200,
        // Through the guest agent when it already answers, else by the ACPI button: both restart it.
        json: { Message: `Action reboot done for machine ${name}`, Via: expect.stringMatching(/^(agent|acpi)$/) },
      });
      const newBootId = await pollUntil(
        `${name}: a new boot id after reboot`,
        BOOT_TIMEOUT_MS,
        async () => {
          const res = await sshRun(target, 'cat /proc/sys/kernel/random/boot_id', 30_000);
          const now = res.stdout.trim();
          return res.code === 0 && now !== '' && now !== bootId ? now : undefined;
        },
        3000,
      );
      mark('rebooted');
      expect(newBootId).not.toBe(bootId);
      console.log(`${name}: reboot took ${((performance.now() - rebootAt) / 1000).toFixed(1)} s`);
      const afterReboot = await getMachine(panel.base, location);
      expect({ state: afterReboot.State, ip: afterReboot.Ip?.Address }).toEqual({ state: 'running', ip });
      expect((await sshOk(target, 'hostname')).trim()).toBe(name);

      // 5. Graceful shutdown through the API really powers the guest off.
      const shutdown = await api(panel.base, 'POST', `${location}shutdown/`);
      expect({ status: shutdown.status, json: shutdown.json }).toEqual({
        status: 200,
        json: { Message: `Action shutdown done for machine ${name}`, Via: expect.stringMatching(/^(agent|acpi)$/) },
      });
      const shutdownAt = performance.now();
      await pollUntil(`${name}: the API reports State "stopped" after shutdown`, SHUTDOWN_TIMEOUT_MS, async () =>
        (await getMachine(panel.base, location!)).State === 'stopped' ? true : undefined,
      );
      mark('stopped');
      console.log(`${name}: shutdown took ${((performance.now() - shutdownAt) / 1000).toFixed(1)} s`);
      expect((await virsh(uri, 'domstate', name)).trim()).toBe('shut off');
      const leaseAfterShutdown = parseLeases(await virsh(uri, 'net-dhcp-leases', harness.network, '--mac', mac));
      console.log(
        `${name}: lease after shutdown: ${leaseAfterShutdown.length === 0 ? 'released' : JSON.stringify(leaseAfterShutdown)}`,
      );

      // 6. Delete through the API removes the domain, both volumes and the DHCP reservation.
      const del = await api(panel.base, 'DELETE', location);
      expect({ status: del.status, body: del.text }).toEqual({ status: 204, body: '' });
      deleted = true;
      mark('deleted');
      const gone = await run('virsh', ['-q', '-c', uri, 'dominfo', name]);
      expect(gone.code, 'the domain is undefined').not.toBe(0);
      expect(gone.stderr).toMatch(/failed to get domain|Domain not found/i);
      const volumesAfter = await rootVolumes(uri, harness.rootPool);
      expect(volumesAfter).not.toContain(`${name}_disk`);
      expect(volumesAfter).not.toContain(`${name}_config.iso`);
      expect(await dhcpHostsOf(uri, harness.network, mac)).toEqual([]);
      expect((await virsh(uri, 'net-dumpxml', '--inactive', harness.network)).toLowerCase()).not.toContain(mac);
      expect((await api(panel.base, 'GET', location)).status).toBe(404);

      console.log(`${name} (${format}, ${harness.domainType}) at ${ip}: seconds since create ${JSON.stringify(timings)}`);

      if (first) freedAddress = ip;
    },
    30 * 60_000,
  );
});

/** Volume names in the root pool. */
async function rootVolumes(uri: string, pool: string): Promise<string[]> {
  await virsh(uri, 'pool-refresh', pool);
  return (await virsh(uri, 'vol-list', pool))
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

/** The network's DHCP host entries for `mac` (live definition). */
async function dhcpHostsOf(uri: string, network: string, mac: string): Promise<{ mac: string; ip: string; name: string }[]> {
  const xml = await virsh(uri, 'net-dumpxml', network);
  const hosts = [];
  for (const match of xml.matchAll(/<host\b[^>]*>/g)) {
    const attr = (n: string): string => new RegExp(`\\b${n}=['"]([^'"]*)['"]`).exec(match[0])?.[1] ?? '';
    if (attr('mac').toLowerCase() === mac.toLowerCase())
      hosts.push({ mac: attr('mac').toLowerCase(), ip: attr('ip'), name: attr('name') });
  }
  return hosts;
}

/**
 * Removes a machine left behind by a failed test: DELETE through the API when it has a location,
 * then whatever is still there with virsh (domain, volumes, DHCP host entries naming it).
 */
async function removeMachine(uri: string, name: string, location: string | undefined, base: string): Promise<void> {
  const harness = env!;
  if (location) {
    try {
      const res = await api(base, 'DELETE', location);
      if (res.status === 204) return;
    } catch {
      // fall through to virsh
    }
  }
  const problems: string[] = [];
  const attempt = async (what: string, args: string[]): Promise<void> => {
    const res = await run('virsh', ['-q', '-c', uri, ...args]);
    if (res.code !== 0 && !/not found|no domain|no storage vol|is not running|domain is not running/i.test(res.stderr)) {
      problems.push(`${what}: ${res.stderr.trim()}`);
    }
  };
  await attempt('destroy', ['destroy', name]);
  await attempt('undefine', ['undefine', name]);
  await attempt('delete disk', ['vol-delete', '--pool', harness.rootPool, `${name}_disk`]);
  await attempt('delete config drive', ['vol-delete', '--pool', harness.rootPool, `${name}_config.iso`]);
  const xml = await virsh(uri, 'net-dumpxml', harness.network);
  for (const match of xml.matchAll(/<host\b[^>]*\bname=['"]([^'"]*)['"][^>]*\/>/g)) {
    if (match[1] === name)
      await attempt('remove DHCP host', [
        'net-update',
        harness.network,
        'delete',
        'ip-dhcp-host',
        match[0],
        '--live',
        '--config',
      ]);
  }
  if (problems.length > 0) throw new Error(`could not remove ${name}:\n  ${problems.join('\n  ')}`);
}

function serialLogPath(name: string): string {
  return `/var/log/libvirt/qemu/${name}-serial.log`;
}

async function serialTail(name: string): Promise<string> {
  const path = serialLogPath(name);
  try {
    const text = (await readFile(path, 'utf8')).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    return `--- last lines of ${path} ---\n${text.split('\n').slice(-60).join('\n')}`;
  } catch (error) {
    return `(no serial log: ${(error as Error).message})`;
  }
}
