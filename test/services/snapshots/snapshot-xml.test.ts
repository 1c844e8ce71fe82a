import { describe, expect, it } from 'vitest';
import { parseDomainXml } from '../../../server/services/machines/domain-xml.js';
import { parseSnapshotXml, snapshotProblem, snapshotXml } from '../../../server/services/snapshots/snapshot-xml.js';

const domain = (os: string, disks: string) =>
  parseDomainXml(
    `<domain type='kvm'><name>m</name><uuid>12345678-1234-1234-1234-1234567890ab</uuid>${os}<devices>${disks}</devices></domain>`,
  );
const QCOW2 =
  "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/p/m_disk'/><target dev='vda'/></disk>";
const RAW = "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/p/d'/><target dev='vdb'/></disk>";
const ISO =
  "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='/p/c.iso'/><target dev='sda'/><readonly/></disk>";

describe('snapshot XML', () => {
  it('escapes the name and description, and reads what libvirt answers', () => {
    expect(snapshotXml('a', '<b> & "c"')).toBe(
      '<domainsnapshot><name>a</name><description>&lt;b&gt; &amp; "c"</description></domainsnapshot>',
    );
    const read = parseSnapshotXml(`<domainsnapshot><name>s1</name><description>d</description><state>shutoff</state>
      <parent><name>s0</name></parent><creationTime>1700000000</creationTime><memory snapshot='no'/><domain/></domainsnapshot>`);
    expect(read).toEqual({
      name: 's1',
      description: 'd',
      createdAt: new Date(1_700_000_000_000),
      state: 'stopped',
      withMemory: false,
      parent: 's0',
    });
    expect(
      parseSnapshotXml('<domainsnapshot><name>r</name><state>running</state><memory snapshot="internal"/></domainsnapshot>'),
    ).toMatchObject({
      state: 'running',
      withMemory: true,
    });
  });

  it('refuses raw disks and UEFI, ignores read-only CD-ROMs', () => {
    expect(snapshotProblem(domain('', QCOW2 + ISO))).toBeUndefined();
    expect(snapshotProblem(domain('', QCOW2 + RAW))).toBe('its disk vdb is raw, not qcow2: internal snapshots need qcow2 disks');
    expect(snapshotProblem(domain("<os firmware='efi'><type>hvm</type></os>", QCOW2))).toMatch(/UEFI/);
    expect(snapshotProblem(domain("<os><type>hvm</type><loader type='pflash'>/x</loader></os>", QCOW2))).toMatch(/UEFI/);
    expect(snapshotProblem(domain('', ISO))).toBe('it has no writable disk to snapshot');
  });
});
