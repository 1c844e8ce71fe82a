/**
 * The snapshot XML vmango writes (name and description; libvirt chooses an internal snapshot with
 * memory for a running domain and a disk-only one for a stopped domain) and reads back.
 */
import { libvirtStateFromName, machineStateOf } from '../../core/machine.js';
import type { MachineSnapshot } from '../../core/snapshots.js';
import { escapeXmlText } from '../../formats/xml/escape.js';
import { attr, child, path, parseXmlRoot } from '../../formats/xml/tree.js';
import type { DomainFacts } from '../machines/domain-xml.js';

export function snapshotXml(name: string, description: string): string {
  return (
    `<domainsnapshot><name>${escapeXmlText('snapshot name', name)}</name>` +
    `<description>${escapeXmlText('snapshot description', description)}</description></domainsnapshot>`
  );
}

export function parseSnapshotXml(xml: string): MachineSnapshot {
  const root = parseXmlRoot(xml, 'snapshot XML', 'domainsnapshot', {
    name: {},
    description: {},
    state: {},
    creationTime: {},
    memory: {},
    parent: { name: {} },
  });
  const seconds = Number(child(root, 'creationTime')?.text.trim());
  const stateName = child(root, 'state')?.text.trim() ?? '';
  const parent = path(root, 'parent', 'name')?.text.trim();
  const memory = attr(child(root, 'memory'), 'snapshot');
  const state = machineStateOf(libvirtStateFromName(stateName));
  return {
    name: child(root, 'name')?.text.trim() ?? '',
    description: child(root, 'description')?.text ?? '',
    createdAt: new Date(Number.isFinite(seconds) ? seconds * 1000 : 0),
    state,
    // Older snapshots have no <memory>: a running one held memory.
    withMemory: memory !== undefined ? memory === 'internal' || memory === 'external' : state !== 'stopped',
    ...(parent ? { parent } : {}),
  };
}

/** Why internal snapshots cannot work for this domain on libvirt 9.0, or undefined when they can. */
export function snapshotProblem(facts: DomainFacts): string | undefined {
  if (facts.firmware === 'efi') {
    return 'it boots with UEFI: libvirt 9.0 cannot take internal snapshots of a machine with UEFI variables (NVRAM)';
  }
  const disks = facts.disks.filter((disk) => disk.device !== 'cdrom' && disk.device !== 'floppy' && !disk.readonly);
  if (disks.length === 0) return 'it has no writable disk to snapshot';
  const raw = disks.find((disk) => disk.driverType !== 'qcow2');
  if (raw) {
    return `its disk ${raw.targetDev || '(unnamed)'} is ${raw.driverType || 'of an unknown format'}, not qcow2: internal snapshots need qcow2 disks`;
  }
  return undefined;
}
