// End-to-end: the guest image from scripts/guest-image/build.sh boots on the real hypervisor
// (the harness, TCG) from templates/vm-direct-kernel.xml.in with an OpenStack config-2 drive, and
// cloud-init applies it: hostname, the ssh key, user data, and the root filesystem grown to the disk.
// Everything is done with virsh here, not through the panel. The kernel and initrd are copied to
// /var/lib/vmango-guest/ (where the template reads them) and left there; every volume, domain and
// DHCP host entry the test makes is removed afterwards.
import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { parseTemplate } from '../../../server/formats/gotemplate/index.js';
import { buildConfigDrive } from '../../../server/services/machines/config-drive.js';
import { buildMetadata } from '../../../server/services/machines/metadata.js';
import { vmangoTemplateContext } from '../../../server/services/machines/template-context.js';
import { requireHarness } from '../../helpers/harness.js';
import {
  addImageToPool,
  buildGuestImage,
  DIRECT_KERNEL_TEMPLATE,
  GUEST_KERNEL_DIR,
  installGuestKernel,
  type GuestImage,
} from './helpers/guest-image.js';
import { generateSshKey, sshOk, waitForLease, waitForSsh, type SshTarget } from './helpers/guest.js';
import { Cleanup, run } from './helpers/run.js';
import { parseLeases, randomMac, reserveDhcpHost, virsh } from './helpers/virsh.js';

const { env, skipReason } = requireHarness();
const GiB = 1024 ** 3;
/** TCG is slow, and the two cores are shared: boot to ssh was measured at about 1–2 minutes. */
const BOOT_TIMEOUT_MS = 6 * 60_000;

// Runs everywhere: the template renders with vmango's context into what the guest image needs.
describe('templates/vm-direct-kernel.xml.in', () => {
  it('renders a TCG domain that boots the image kernel with root on the virtio disk and an empty cdrom', async () => {
    const template = parseTemplate('vm-direct-kernel.xml.in', await readFile(DIRECT_KERNEL_TEMPLATE, 'utf8'));
    const keys = [{ name: 'k', public: 'ssh-ed25519 AAAA k' }];
    const xml = template.execute(
      vmangoTemplateContext({
        machine: { name: 'web-1', sshKeys: keys, userdata: '', creator: 'admin' },
        image: {
          id: 'Debian-12_amd64_qcow2.img',
          os: 'Debian-12',
          arch: 'x86_64',
          sizeBytes: 600 * 2 ** 20,
          format: 'qcow2',
          date: new Date(0),
          poolName: 'images',
        },
        plan: { name: 'small', memoryBytes: 512 * 2 ** 20, cpus: 2, diskSizeBytes: 2 * GiB },
        volumePath: '/var/lib/libvirt/images/web-1_disk',
        network: 'vmango',
        metadata: buildMetadata({
          imageId: 'Debian-12_amd64_qcow2.img',
          os: 'Debian-12',
          creator: 'admin',
          plan: 'small',
          sshKeys: keys,
          userdata: '',
        }),
      }),
    );
    expect(xml).toMatch(/^<domain type='qemu'>/);
    expect(xml).toContain('<name>web-1</name>');
    expect(xml).toMatch(/<metadata><vmango:md xmlns:vmango="http:\/\/vmango.org\/schema\/md">[\s\S]*<\/vmango:md><\/metadata>/);
    expect(xml).toContain(`<memory unit='b'>${512 * 2 ** 20}</memory>`);
    expect(xml).toContain("<vcpu placement='static'>2</vcpu>");
    expect(xml).toContain("<type arch='x86_64' machine='pc'>hvm</type>");
    expect(xml).toContain(`<kernel>${GUEST_KERNEL_DIR}/vmlinuz</kernel>`);
    expect(xml).toContain(`<initrd>${GUEST_KERNEL_DIR}/initrd.img</initrd>`);
    expect(xml).toMatch(/<cmdline>root=\/dev\/vda rw console=tty0 console=ttyS0[^<]*<\/cmdline>/);
    expect(xml).not.toMatch(/<boot /);
    // Root disk: the _disk volume, qcow2, virtio (vda, as the kernel command line says).
    expect(xml).toMatch(
      /<driver name='qemu' type='qcow2'\/>\s*<source file='\/var\/lib\/libvirt\/images\/web-1_disk'\/>\s*<target dev='vda' bus='virtio'\/>/,
    );
    // The cdrom is empty: the panel attaches the config drive with updateDevice.
    const cdrom = /<disk type='file' device='cdrom'>[\s\S]*?<\/disk>/.exec(xml)?.[0] ?? '';
    expect(cdrom).toContain("<target dev='hdc' bus='ide'/>");
    expect(cdrom).toContain('<readonly/>');
    expect(cdrom).not.toContain('<source');
    expect(xml).toMatch(/<interface type='network'>\s*<source network='vmango'\/>\s*<model type='virtio'\/>/);
    expect(xml).toMatch(/<serial type='pty'>[\s\S]*<\/serial>\s*<console type='pty'>\s*<target type='serial' port='0'\/>/);
    expect(xml).toContain("<log file='/var/log/libvirt/qemu/web-1-serial.log' append='off'/>");
  });
});

describe('e2e helpers: parseLeases', () => {
  it('reads the IPv4 rows of `virsh -q net-dhcp-leases`, skipping IPv6 and other lines', () => {
    const table = [
      ' 2026-11-23 15:10:04   52:54:00:42:EC:77   ipv4       192.168.150.136/24        e2e-guest-efa0ff   ff:00:42:ec:77:00:01:00:01',
      ' 2026-11-23 15:11:00   52:54:00:00:00:02   ipv4       192.168.150.10/24         -                  01:52:54:00:00:00:02',
      ' 2026-11-23 15:11:00   52:54:00:00:00:03   ipv6       fd00::10/64               guest3             00:04:aa',
      'error: something',
      '',
    ].join('\n');
    expect(parseLeases(table)).toEqual([
      { mac: '52:54:00:42:ec:77', ip: '192.168.150.136', hostname: 'e2e-guest-efa0ff', clientId: 'ff:00:42:ec:77:00:01:00:01' },
      { mac: '52:54:00:00:00:02', ip: '192.168.150.10', hostname: '-', clientId: '01:52:54:00:00:00:02' },
    ]);
  });
});

const title =
  skipReason === undefined
    ? 'guest image: boots on the real hypervisor from a config drive'
    : `guest image e2e (skipped: ${skipReason})`;

/** VMANGO_E2E_KEEP=1 leaves guests, volumes and DHCP entries for a look (remove them by hand). */
const keep = process.env.VMANGO_E2E_KEEP === '1';

describe.skipIf(skipReason !== undefined)(title, () => {
  // Collected even when skipped: touch the harness env only inside hooks and tests.
  const harness = env!;
  const shared = new Cleanup();
  let image: GuestImage;
  let imageVolume: string;

  // The image, built or from the cache, in the image pool; its kernel where the template reads it.
  beforeAll(async () => {
    const uri = harness.uri;
    image = await buildGuestImage({ onProgress: (chunk) => process.stderr.write(chunk) });
    console.log(
      `guest image ${image.dir} (${image.seconds.toFixed(1)} s): kernel ${image.manifest.kernel}, ` +
        `${(image.manifest.files[image.manifest.image]!.bytes / 2 ** 20).toFixed(1)} MiB qcow2, ` +
        `${(image.manifest.virtualBytes / 2 ** 20).toFixed(0)} MiB virtual; build timings ${JSON.stringify(image.manifest.timings)}`,
    );
    // A second run with the same inputs is answered from the cache.
    const again = await buildGuestImage();
    expect(again.dir).toBe(image.dir);
    expect(again.seconds).toBeLessThan(5);
    // The template boots the kernel with the command line the image was built for.
    expect(await readFile(DIRECT_KERNEL_TEMPLATE, 'utf8')).toContain(`<cmdline>${image.manifest.cmdline}</cmdline>`);
    await installGuestKernel(image);
    imageVolume = `Debian-12.e2e${randomBytes(3).toString('hex')}_amd64_qcow2.img`;
    shared.add(
      `delete image volume ${imageVolume}`,
      await addImageToPool(uri, { name: harness.imagePool, dir: harness.imageDir }, image, imageVolume),
    );
  }, 30 * 60_000);
  afterAll(async () => {
    if (!keep) await shared.runAll();
  }, 180_000);

  it.each([
    { format: 'openstack' as const, datasource: 'DataSourceConfigDrive' },
    { format: 'nocloud' as const, datasource: 'DataSourceNoCloud' },
  ])(
    '$format drive: boots, takes its reserved address, and cloud-init applies the drive',
    async ({ format, datasource }) => {
      const uri = harness.uri;
      const cleanup = new Cleanup();
      onTestFinished(async () => {
        if (!keep) await cleanup.runAll();
      });
      const name = `e2e-guest-${randomBytes(3).toString('hex')}`;
      const uuid32 = randomBytes(16).toString('hex');
      const marker = `marker-${randomBytes(8).toString('hex')}`;

      const work = await mkdtemp(join(tmpdir(), 'vmango-e2e-guest-'));
      cleanup.add(`remove ${work}`, () => rm(work, { recursive: true, force: true }));
      const key = await generateSshKey(`${name}-test`);
      cleanup.add('remove the ssh key', key.remove);

      // 1. The root disk: a clone of the image, grown to 2 GiB.
      const diskVolume = `${name}_disk`;
      const diskXml = join(work, 'disk.xml');
      await writeFile(
        diskXml,
        `<volume><name>${diskVolume}</name><capacity unit='b'>${image.manifest.virtualBytes}</capacity>` +
          `<target><format type='qcow2'/></target></volume>\n`,
      );
      await virsh(uri, 'vol-create-from', harness.rootPool, diskXml, imageVolume, '--inputpool', harness.imagePool);
      cleanup.add(`delete ${diskVolume}`, () => virsh(uri, 'vol-delete', '--pool', harness.rootPool, diskVolume));
      await virsh(uri, 'vol-resize', '--pool', harness.rootPool, diskVolume, String(2 * GiB));
      const diskPath = (await virsh(uri, 'vol-path', '--pool', harness.rootPool, diskVolume)).trim();
      const diskInfo = await virsh(uri, 'vol-info', '--bytes', '--pool', harness.rootPool, diskVolume);
      expect(diskInfo).toMatch(new RegExp(`Capacity:\\s+${2 * GiB} bytes`));

      // 2. The config drive, built by the panel's own code: OpenStack config-2 (as vmango 0.6) or NoCloud cidata.
      const userdata = [
        '#cloud-config',
        'write_files:',
        '  - path: /var/lib/vmango-e2e/marker',
        `    content: ${marker}`,
        '',
      ].join('\n');
      const iso = await buildConfigDrive({
        format,
        name,
        uuid32,
        userdata,
        sshKeys: [{ name: 'test', public: key.publicKey }],
      });
      const isoPath = join(work, 'config.iso');
      await writeFile(isoPath, iso);
      const isoVolume = `${name}_config.iso`;
      await virsh(uri, 'vol-create-as', harness.rootPool, isoVolume, String(iso.length), '--format', 'raw');
      cleanup.add(`delete ${isoVolume}`, () => virsh(uri, 'vol-delete', '--pool', harness.rootPool, isoVolume));
      await virsh(uri, 'vol-upload', '--pool', harness.rootPool, isoVolume, isoPath);
      const isoVolumePath = (await virsh(uri, 'vol-path', '--pool', harness.rootPool, isoVolume)).trim();

      // 3. The domain, from the direct-kernel template with vmango's template context.
      const template = parseTemplate('vm-direct-kernel.xml.in', await readFile(DIRECT_KERNEL_TEMPLATE, 'utf8'));
      const domainXml = template.execute(
        vmangoTemplateContext({
          machine: { name, sshKeys: [{ name: 'test', public: key.publicKey }], userdata, creator: 'e2e' },
          image: {
            id: imageVolume,
            os: 'Debian-12',
            arch: 'x86_64',
            sizeBytes: image.manifest.virtualBytes,
            format: 'qcow2',
            date: new Date(),
            poolName: harness.imagePool,
          },
          plan: { name: 'e2e', memoryBytes: 512 * 2 ** 20, cpus: 1, diskSizeBytes: 2 * GiB },
          volumePath: diskPath,
          network: harness.network,
          metadata: buildMetadata({
            imageId: imageVolume,
            os: 'Debian-12',
            creator: 'e2e',
            plan: 'e2e',
            sshKeys: [{ name: 'test', public: key.publicKey }],
            userdata,
          }),
        }),
      );
      const mac = randomMac();
      // The template leaves the MAC to libvirt; this test fixes it to reserve the address first.
      const withMac = domainXml.replace(/(<interface type='network'>)/, `$1\n      <mac address='${mac}'/>`);
      expect(withMac).toContain(`<mac address='${mac}'/>`);
      const domainType = harness.domainType;
      const domainFile = join(work, 'domain.xml');
      await writeFile(domainFile, withMac.replace("<domain type='qemu'>", `<domain type='${domainType}'>`));
      await virsh(uri, 'define', domainFile);
      cleanup.add(`undefine ${name}`, async () => {
        await run('virsh', ['-q', '-c', uri, 'destroy', name]);
        await virsh(uri, 'undefine', name);
        await rm(serialLogPath(name), { force: true });
        await rm(`/var/log/libvirt/qemu/${name}.log`, { force: true });
      });

      // As the panel does: the config drive goes into the template's empty cdrom.
      const cdromFile = join(work, 'cdrom.xml');
      await writeFile(
        cdromFile,
        `<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>` +
          `<source file='${isoVolumePath}'/><target dev='hdc' bus='ide'/><readonly/></disk>\n`,
      );
      await virsh(uri, 'update-device', name, cdromFile, '--config');
      expect(await virsh(uri, 'dumpxml', '--inactive', name)).toContain(isoVolumePath);

      const { ip, release } = await reserveDhcpHost(uri, harness.network, {
        mac,
        name,
        prefix: harness.networkCidr.split('.').slice(0, 3).join('.'),
      });
      cleanup.add(`remove the DHCP host entry for ${mac}`, release);

      // 4. Boot and wait for the lease, then for ssh.
      const started = performance.now();
      await virsh(uri, 'start', name);
      let lease;
      try {
        lease = await waitForLease(uri, harness.network, mac, BOOT_TIMEOUT_MS);
      } catch (error) {
        throw new Error(`${(error as Error).message}\n${await serialTail(name)}`, { cause: error });
      }
      const leaseSeconds = (performance.now() - started) / 1000;
      expect(lease.ip).toBe(ip);
      const target: SshTarget = { host: ip, user: 'debian', privateKeyPath: key.privateKeyPath };
      try {
        await waitForSsh(target, BOOT_TIMEOUT_MS - leaseSeconds * 1000);
      } catch (error) {
        throw new Error(`${(error as Error).message}\n${await serialTail(name)}`, { cause: error });
      }
      const sshSeconds = (performance.now() - started) / 1000;
      console.log(
        `${name} (${format}, ${domainType}): lease ${ip} after ${leaseSeconds.toFixed(1)} s, ssh after ${sshSeconds.toFixed(1)} s`,
      );

      // 5. What cloud-init did.
      const status = await sshOk(target, 'cloud-init status --wait --long', { timeoutMs: 300_000 });
      console.log(`${name}: cloud-init finished after ${((performance.now() - started) / 1000).toFixed(1)} s`);
      expect(status).toMatch(/status: done/);
      expect((await sshOk(target, 'hostname')).trim()).toBe(name);
      expect((await sshOk(target, 'cat /var/lib/vmango-e2e/marker')).trim()).toBe(marker);
      expect(await sshOk(target, 'cat ~/.ssh/authorized_keys')).toContain(key.publicKey);
      expect((await sshOk(target, 'cat /var/lib/cloud/data/instance-id')).trim()).toBe(uuid32);
      expect(await sshOk(target, 'cat /run/cloud-init/result.json')).toContain(datasource);
      // The 2 GiB disk, not the ~0.6 GiB image: resize_rootfs grew ext4 to the whole disk.
      const rootBytes = Number((await sshOk(target, 'df -B1 --output=size / | tail -n 1')).trim());
      expect(rootBytes).toBeGreaterThan(1.8 * GiB);
      expect(rootBytes).toBeLessThanOrEqual(2 * GiB);
      // The default user may sudo without a password (and the hostname resolves); sshd takes keys only.
      const sudo = await run('ssh', [
        '-i',
        key.privateKeyPath,
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'LogLevel=ERROR',
        `debian@${ip}`,
        '--',
        'sudo -n id -u',
      ]);
      expect({ code: sudo.code, stdout: sudo.stdout.trim(), stderr: sudo.stderr.trim() }).toEqual({
        code: 0,
        stdout: '0',
        stderr: '',
      });
      const sshd = await sshOk(target, 'sudo -n sshd -T');
      expect(sshd).toMatch(/^passwordauthentication no$/m);
      expect(sshd).toMatch(/^kbdinteractiveauthentication no$/m);
      // No password anywhere: root and debian are locked.
      expect(await sshOk(target, 'sudo -n passwd -S root && sudo -n passwd -S debian')).toMatch(/^root L .*\ndebian L /);
    },
    30 * 60_000,
  );
});

/** The last lines of the guest's serial console (the template logs it), for failure messages. */
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
