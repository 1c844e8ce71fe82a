/**
 * Tags, label, description and autostart on the harness hypervisor (real libvirtd over qemu+ssh):
 * a change to a running machine is in its live and its persistent definition (it survives a power
 * cycle), one to a stopped machine shows once it runs, everything survives a panel restart (it is
 * libvirt's, not the panel's), and a transient domain takes tags but refuses autostart, saying why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainXmlFlags, type Connection } from '../../../server/libvirt/index.js';
import { requireHarness } from '../../helpers/harness.js';
import { startEchoGuest, echoDomainXml } from '../../libvirt/echo-guest.js';
import { cleanupPrefix, rawConnection } from '../../services/machines/harness-fixture.js';
import { api, harnessPanelConfig, startHarnessPanel, type RunningPanel } from '../e2e/api-helpers/panel.js';
import { REPO_DIR } from '../e2e/helpers/guest-image.js';

const { env, skipReason } = requireHarness();
const PREFIX = `prp${process.pid % 100000}`;
const PROVIDER = 'PROPS';
const NS = 'urn:vmango-ts:machine:1';

interface MachineJson {
  Id: string;
  Name: string;
  State: string;
  Tags: string[];
  Label: { Name: string; Colour: string } | null;
  Description: string;
  Autostart?: boolean;
}

describe.skipIf(skipReason !== undefined)('machine properties on the harness hypervisor', () => {
  const harness = env!;
  let conn: Connection;
  let panel: RunningPanel | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  const config = () =>
    harnessPanelConfig(harness, {
      repo: REPO_DIR,
      providers: [{ name: PROVIDER, configDriveFormat: 'nocloud' }],
      sshKey: { name: 'none', public: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMwpVbhzB4dcwUbD1tRsbtQTzSsTnjTPRXUMsAa5O1Y3 t@v' },
    });

  async function machineId(name: string): Promise<string> {
    const domain = await conn.lookupDomainByName(name);
    return domain.uuid.replace(/-/g, '');
  }

  async function patch(id: string, fields: [string, string][]) {
    return api(panel!.base, 'PATCH', `/api/machines/${PROVIDER}/${id}/`, new URLSearchParams(fields));
  }

  async function machine(id: string): Promise<MachineJson> {
    const res = await api(panel!.base, 'GET', `/api/machines/${PROVIDER}/${id}/`);
    expect(res.status, res.text).toBe(200);
    return (res.json as { Machine: MachineJson }).Machine;
  }

  beforeAll(async () => {
    conn = await rawConnection(harness);
    panel = await startHarnessPanel(config());
  }, 120_000);

  afterAll(async () => {
    await panel?.close();
    for (const cleanup of cleanups.reverse()) await cleanup();
    if (conn) {
      await cleanupPrefix(conn, harness, PREFIX);
      await conn.close();
    }
  }, 120_000);

  it('a running machine keeps them live and after a power cycle, and a new panel reads them', async () => {
    const guest = await startEchoGuest(conn, harness, `${PREFIX}-run`);
    cleanups.push(guest.cleanup);
    const id = await machineId(`${PREFIX}-run`);
    const res = await patch(id, [
      ['Tags', 'web berlin'],
      ['LabelName', 'production'],
      ['LabelColour', '#2F855A'],
      ['Description', 'echoes <everything> & more'],
      ['Autostart', 'true'],
    ]);
    expect(res.status, res.text).toBe(200);

    const live = await guest.domain.getXmlDesc();
    const persistent = await guest.domain.getXmlDesc({ flags: DomainXmlFlags.INACTIVE });
    for (const xml of [live, persistent]) {
      expect(xml).toContain(`<vmangots:machine xmlns:vmangots="${NS}">`);
      expect(xml).toContain('<vmangots:description>echoes &lt;everything&gt; &amp; more</vmangots:description>');
    }
    expect(await guest.domain.getAutostart()).toBe(true);

    await guest.domain.destroy();
    await guest.domain.start();
    await panel!.close();
    panel = await startHarnessPanel(config());
    expect(await machine(id)).toMatchObject({
      State: 'running',
      Tags: ['berlin', 'web'],
      Label: { Name: 'production', Colour: '#2f855a' },
      Description: 'echoes <everything> & more',
      Autostart: true,
    });
    const listed = await api(panel.base, 'GET', '/api/machines/?tag=berlin');
    const names = (listed.json as { Machines: Record<string, MachineJson[]> }).Machines[PROVIDER]!.map((m) => m.Name);
    expect(names).toContain(`${PREFIX}-run`);

    // Removing every property removes the element.
    const cleared = await patch(id, [
      ['Tags', ''],
      ['LabelName', ''],
      ['Description', ''],
      ['Autostart', 'false'],
    ]);
    expect(cleared.status, cleared.text).toBe(200);
    expect(await guest.domain.getXmlDesc({ flags: DomainXmlFlags.INACTIVE })).not.toContain(NS);
    expect(await guest.domain.getAutostart()).toBe(false);
  }, 120_000);

  it('a stopped machine shows them once it runs', async () => {
    const guest = await startEchoGuest(conn, harness, `${PREFIX}-off`);
    cleanups.push(guest.cleanup);
    await guest.domain.destroy();
    const id = await machineId(`${PREFIX}-off`);
    expect((await patch(id, [['AddTags', 'cold']])).status).toBe(200);
    await guest.domain.start();
    expect(await guest.domain.getXmlDesc()).toContain('<vmangots:tag>cold</vmangots:tag>');
    expect((await machine(id)).Tags).toEqual(['cold']);
  }, 120_000);

  it('a transient domain takes tags (until it stops) but refuses autostart, saying why', async () => {
    const pool = await conn.lookupStoragePoolByName(harness.rootPool);
    const name = `${PREFIX}-transient`;
    const volume = await pool.createVolume(
      `<volume><name>${name}.img</name><capacity unit='bytes'>1048576</capacity><target><format type='raw'/></target></volume>`,
    );
    cleanups.push(() => volume.delete().catch(() => undefined));
    const domain = await conn.createDomain(echoDomainXml(harness, name, await volume.getPath()));
    cleanups.push(() => domain.destroy().catch(() => undefined));
    const id = domain.uuid.replace(/-/g, '');
    const tagged = await patch(id, [['Tags', 'scratch']]);
    expect(tagged.status, tagged.text).toBe(200);
    expect((tagged.json as { Machine: MachineJson }).Machine.Tags).toEqual(['scratch']);
    const refused = await patch(id, [['Autostart', 'true']]);
    expect(refused.status).toBe(400);
    expect((refused.json as { Error: string }).Error).toMatch(/^Autostart: .* is a transient domain/);
  }, 60_000);
});
