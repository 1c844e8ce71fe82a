/**
 * Resize on the harness hypervisor (real libvirtd and QEMU over qemu+ssh) with a small qcow2
 * machine that boots nothing (SeaBIOS only): a running machine's disk grows at once through QEMU
 * (the volume is never resized under it), CPUs past its maximum and memory without a balloon wait
 * for the next boot, and after a power cycle the domain runs with them; a stopped machine's disk
 * grows through its volume.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainXmlFlags, type Connection, type Domain, type StorageVolume } from '../../../server/libvirt/index.js';
import { parseDomainXml } from '../../../server/services/machines/domain-xml.js';
import { requireHarness } from '../../helpers/harness.js';
import { cleanupPrefix, rawConnection } from '../../services/machines/harness-fixture.js';
import { api, harnessPanelConfig, startHarnessPanel, type RunningPanel } from '../e2e/api-helpers/panel.js';
import { REPO_DIR } from '../e2e/helpers/guest-image.js';

const { env, skipReason } = requireHarness();
const PREFIX = `rsz${process.pid % 100000}`;
const PROVIDER = 'RESIZE';
const MiB = 1024 ** 2;

describe.skipIf(skipReason !== undefined)('resize on the harness hypervisor', () => {
  const harness = env!;
  let conn: Connection;
  let panel: RunningPanel;
  let domain: Domain;
  let volume: StorageVolume;
  let id = '';

  beforeAll(async () => {
    conn = await rawConnection(harness);
    const pool = await conn.lookupStoragePoolByName(harness.rootPool);
    const name = `${PREFIX}-m`;
    volume = await pool.createVolume(
      `<volume><name>${name}_disk</name><capacity unit='bytes'>${64 * MiB}</capacity><target><format type='qcow2'/></target></volume>`,
    );
    domain = await conn.defineDomain(`<domain type='${harness.domainType}'>
  <name>${name}</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${await volume.getPath()}'/><target dev='vda' bus='virtio'/></disk>
    <memballoon model='none'/>
  </devices>
</domain>`);
    await domain.start();
    id = domain.uuid.replace(/-/g, '');
    panel = await startHarnessPanel(
      harnessPanelConfig(harness, {
        repo: REPO_DIR,
        providers: [{ name: PROVIDER, configDriveFormat: 'nocloud' }],
        sshKey: { name: 'none', public: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMwpVbhzB4dcwUbD1tRsbtQTzSsTnjTPRXUMsAa5O1Y3 t@v' },
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await panel?.close();
    if (conn) {
      await cleanupPrefix(conn, harness, PREFIX);
      await conn.close();
    }
  }, 120_000);

  const resize = (fields: Record<string, string>) =>
    api(panel.base, 'POST', `/api/machines/${PROVIDER}/${id}/resize/`, new URLSearchParams(fields));

  it('grows a running disk at once and keeps CPUs past the maximum and memory for the next boot', async () => {
    const res = await resize({ Cpus: '2', MemoryMegabytes: '96', DiskSizeGigabytes: '1' });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ AppliedNow: ['disk'], AtNextBoot: ['cpus', 'memory'] });
    expect((await volume.getInfo()).capacity).toBe(1024 * MiB);
    const saved = parseDomainXml(await domain.getXmlDesc({ flags: DomainXmlFlags.INACTIVE }));
    expect({ vcpus: saved.vcpus, memory: saved.memoryBytes }).toEqual({ vcpus: 2, memory: 96 * MiB });

    await domain.destroy();
    await domain.start();
    const info = await domain.getInfo();
    expect({ cpus: info.vcpus, memoryKiB: info.memoryKiB }).toEqual({ cpus: 2, memoryKiB: 96 * 1024 });
  }, 120_000);

  it("grows a stopped machine's volume; refuses to shrink it", async () => {
    await domain.destroy();
    const res = await resize({ DiskSizeGigabytes: '2' });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({ AppliedNow: ['disk'], AtNextBoot: [] });
    expect((await volume.getInfo()).capacity).toBe(2048 * MiB);
    const shrink = await resize({ DiskSizeGigabytes: '1' });
    expect(shrink.status).toBe(400);
    expect((shrink.json as { Error: string }).Error).toMatch(/^disks only grow/);
  }, 60_000);
});
