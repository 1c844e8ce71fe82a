/** The cdrom device that carries a machine's config drive. */
import { escapeXmlAttribute } from '../../../formats/xml/escape.js';
import type { DomainDisk, DomainFacts } from '../domain-xml.js';

export interface ConfigDriveDevice {
  /** 'update' fills the template's empty cdrom; 'attach' adds a cdrom when the template has none. */
  mode: 'update' | 'attach';
  xml: string;
}

const DEV_PREFIX: Record<string, string> = { ide: 'hd', sata: 'sd', scsi: 'sd', usb: 'sd' };

function isEmptyCdrom(disk: DomainDisk): boolean {
  return disk.device === 'cdrom' && !disk.source.file && !disk.source.dev && !disk.source.volume;
}

function freeTarget(facts: DomainFacts): { dev: string; bus: string } {
  const bus = facts.disks.some((d) => d.targetBus === 'sata') ? 'sata' : 'ide';
  const prefix = DEV_PREFIX[bus]!;
  const used = new Set(facts.disks.map((d) => d.targetDev));
  for (const letter of 'cdefghijklmnopqrstuvwxyzab') {
    if (!used.has(prefix + letter)) return { dev: prefix + letter, bus };
  }
  throw new Error(`no free ${bus} target for the config drive cdrom`);
}

export function configDriveDevice(facts: DomainFacts, isoPath: string): ConfigDriveDevice {
  const empty = facts.disks.find(isEmptyCdrom);
  const target = empty ? { dev: empty.targetDev, bus: empty.targetBus } : freeTarget(facts);
  const attr = (what: string, value: string): string => escapeXmlAttribute(what, value);
  const busAttr = target.bus ? ` bus="${attr('cdrom bus', target.bus)}"` : '';
  const xml =
    `<disk type="file" device="cdrom"><driver name="${attr('cdrom driver', empty?.driverName || 'qemu')}" type="raw"/>` +
    `<source file="${attr('config drive path', isoPath)}"/>` +
    `<target dev="${attr('cdrom target', target.dev)}"${busAttr}/><readonly/></disk>`;
  return { mode: empty ? 'update' : 'attach', xml };
}
