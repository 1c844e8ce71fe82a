/**
 * Reading libvirt domain XML (virDomainGetXMLDesc) into plain facts, and turning those facts into a
 * Machine the way vmango 0.6's fillVm did — without failing on domains vmango did not create.
 */
import { attr, child, childrenNamed, parseXmlRoot, path, type KeepSpec, type XmlElement } from '../../formats/xml/tree.js';
import {
  libvirtStateName,
  machineStateOf,
  parseHwArch,
  type Machine,
  type MachineIp,
  type RootDisk,
} from '../../core/machine.js';
import { machineIdFromUuid } from '../../core/machine-id.js';
import { findMetadataElement, parseMetadata, type VmangoMetadata } from './metadata.js';
import { findPropertiesElement, parseProperties } from './properties-metadata.js';
import type { MachineProperties } from '../../core/machine-properties.js';

export interface DomainDisk {
  /** `<disk type>`: file, block, volume, network, … */
  type: string;
  /** `<disk device>`: disk (libvirt's default), cdrom, floppy, lun. */
  device: string;
  driverName: string;
  driverType: string;
  source: {
    file?: string;
    dev?: string;
    pool?: string;
    volume?: string;
  };
  targetDev: string;
  targetBus: string;
  readonly: boolean;
}

export interface DomainInterface {
  type: string;
  mac: string;
  sourceNetwork?: string;
  sourceBridge?: string;
  model?: string;
}

export interface DomainGraphics {
  type: string;
  /** The `listen` attribute, else the address of the first `<listen type='address'>`. */
  listen?: string;
  /** Undefined when libvirt has not assigned one (absent, or -1 for autoport on a stopped domain). */
  port?: number;
  autoport: boolean;
  /** The unix socket of a `<listen type='socket'>`, when it listens on one. */
  socket?: string;
}

export interface DomainConsole {
  type: string;
  targetType?: string;
  targetPort?: number;
}

export interface DomainFacts {
  /** `<domain type>`: kvm, qemu, … */
  hypervisorType: string;
  name: string;
  /** As libvirt writes it, with dashes. */
  uuid: string;
  memoryBytes?: number;
  currentMemoryBytes?: number;
  /** Maximum vcpus (`<vcpu>` content). */
  vcpus?: number;
  /** `<vcpu current>` when present. */
  currentVcpus?: number;
  osType: string;
  arch: string;
  /** 'efi' for `<os firmware='efi'>` or a pflash `<loader>` (UEFI, with NVRAM), else 'bios'. */
  firmware: 'bios' | 'efi';
  disks: DomainDisk[];
  interfaces: DomainInterface[];
  graphics: DomainGraphics[];
  consoles: DomainConsole[];
  /** vmango's metadata, when the domain has it. */
  metadata?: VmangoMetadata;
  /** Tags, label and description (properties-metadata.ts). */
  properties: MachineProperties;
}

/** libvirt's scaled-integer units (docs: "Memory Allocation"); the default is KiB. */
const UNIT_BYTES: Record<string, number> = {
  b: 1,
  bytes: 1,
  kb: 1e3,
  k: 1024,
  kib: 1024,
  mb: 1e6,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1e9,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  tb: 1e12,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  pb: 1e15,
  p: 1024 ** 5,
  pib: 1024 ** 5,
  eb: 1e18,
  e: 1024 ** 6,
  eib: 1024 ** 6,
};

function nonNegativeInteger(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return undefined;
  const n = Number(trimmed);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A `<memory unit='…'>N</memory>`-style element in bytes; undefined when absent or unreadable. */
function scaledBytes(element: XmlElement | undefined): number | undefined {
  if (!element) return undefined;
  const amount = nonNegativeInteger(element.text);
  const scale = UNIT_BYTES[(attr(element, 'unit') ?? 'KiB').toLowerCase()];
  if (amount === undefined || scale === undefined) return undefined;
  const bytes = amount * scale;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

function readDisk(disk: XmlElement): DomainDisk {
  const driver = child(disk, 'driver');
  const source = child(disk, 'source');
  const target = child(disk, 'target');
  return {
    type: attr(disk, 'type') ?? '',
    device: attr(disk, 'device') ?? 'disk',
    driverName: attr(driver, 'name') ?? '',
    driverType: attr(driver, 'type') ?? '',
    source: {
      file: attr(source, 'file'),
      dev: attr(source, 'dev'),
      pool: attr(source, 'pool'),
      volume: attr(source, 'volume'),
    },
    targetDev: attr(target, 'dev') ?? '',
    targetBus: attr(target, 'bus') ?? '',
    readonly: child(disk, 'readonly') !== undefined,
  };
}

function readInterface(nic: XmlElement): DomainInterface {
  const source = child(nic, 'source');
  return {
    type: attr(nic, 'type') ?? '',
    mac: attr(child(nic, 'mac'), 'address') ?? '',
    sourceNetwork: attr(source, 'network'),
    sourceBridge: attr(source, 'bridge'),
    model: attr(child(nic, 'model'), 'type'),
  };
}

function readGraphics(graphics: XmlElement): DomainGraphics {
  const listenElement = childrenNamed(graphics, 'listen').find((l) => attr(l, 'address') !== undefined);
  return {
    type: attr(graphics, 'type') ?? '',
    listen: attr(graphics, 'listen') ?? attr(listenElement, 'address'),
    port: nonNegativeInteger(attr(graphics, 'port')),
    autoport: attr(graphics, 'autoport') === 'yes',
    socket:
      attr(graphics, 'socket') ??
      attr(
        childrenNamed(graphics, 'listen').find((l) => attr(l, 'type') === 'socket'),
        'socket',
      ),
  };
}

function readConsole(console: XmlElement): DomainConsole {
  const target = child(console, 'target');
  return {
    type: attr(console, 'type') ?? '',
    targetType: attr(target, 'type'),
    targetPort: nonNegativeInteger(attr(target, 'port')),
  };
}

/**
 * The elements parseDomainXml reads (by local name); the rest of a domain's XML is checked but not
 * built. Keep in step with the reading below and in metadata.ts (which reads the whole <metadata>).
 */
const DOMAIN_ELEMENTS_READ: KeepSpec = {
  name: {},
  uuid: {},
  memory: {},
  currentMemory: {},
  vcpu: {},
  os: { type: {}, loader: {}, nvram: {} },
  metadata: true,
  devices: {
    disk: { driver: {}, source: {}, target: {}, readonly: {} },
    interface: { mac: {}, source: {}, model: {} },
    graphics: { listen: {} },
    console: { target: {} },
  },
};

/**
 * Reads what vmango needs from a domain's XML. Never throws for a well-formed `<domain>` document,
 * whatever it holds or lacks; throws XmlParseError for a malformed document or another root.
 */
export function parseDomainXml(xml: string): DomainFacts {
  return domainFacts(parseXmlRoot(xml, 'domain XML', 'domain', DOMAIN_ELEMENTS_READ));
}

/** The facts of a `<domain>` element (whole, or pruned to DOMAIN_ELEMENTS_READ). */
export function domainFacts(domain: XmlElement): DomainFacts {
  const devices = child(domain, 'devices');
  const vcpu = child(domain, 'vcpu');
  const osType = path(domain, 'os', 'type');
  const metadata = child(domain, 'metadata');
  const md = findMetadataElement(metadata);
  return {
    hypervisorType: attr(domain, 'type') ?? '',
    name: child(domain, 'name')?.text ?? '',
    uuid: child(domain, 'uuid')?.text.trim() ?? '',
    memoryBytes: scaledBytes(child(domain, 'memory')),
    currentMemoryBytes: scaledBytes(child(domain, 'currentMemory')),
    vcpus: nonNegativeInteger(vcpu?.text),
    currentVcpus: nonNegativeInteger(attr(vcpu, 'current')),
    osType: osType?.text.trim() ?? '',
    arch: attr(osType, 'arch') ?? '',
    firmware: firmwareOf(child(domain, 'os')),
    disks: childrenNamed(devices, 'disk').map(readDisk),
    interfaces: childrenNamed(devices, 'interface').map(readInterface),
    graphics: childrenNamed(devices, 'graphics').map(readGraphics),
    consoles: childrenNamed(devices, 'console').map(readConsole),
    metadata: md ? parseMetadata(md) : undefined,
    properties: parseProperties(findPropertiesElement(metadata)),
  };
}

function firmwareOf(os: XmlElement | undefined): 'bios' | 'efi' {
  if (attr(os, 'firmware') === 'efi') return 'efi';
  const loader = child(os, 'loader');
  return attr(loader, 'type') === 'pflash' || child(os, 'nvram') !== undefined ? 'efi' : 'bios';
}

/** The path a disk's source points at (file, else block device), as 0.6 looked it up; '' if none. */
export function diskSourcePath(disk: DomainDisk): string {
  return disk.source.file || disk.source.dev || '';
}

/** 0.6's root disk rule: the first non-cdrom disk whose source path ends with `_disk`. */
export function findRootDisk(facts: DomainFacts): DomainDisk | undefined {
  return facts.disks.find((disk) => disk.device !== 'cdrom' && diskSourcePath(disk).endsWith('_disk'));
}

/** `listen:port` of the first VNC display (IPv6 listen addresses bracketed); '' without a port. */
export function vncAddress(facts: DomainFacts): string {
  const vnc = facts.graphics.find((g) => g.type === 'vnc');
  if (!vnc || vnc.port === undefined) return '';
  const listen = vnc.listen ?? '';
  return `${listen.includes(':') ? `[${listen}]` : listen}:${vnc.port}`;
}

/** What the caller learned from libvirt besides the XML. */
export interface MachineExtras {
  /** Config name of the hypervisor. */
  provider: string;
  /** virDomainState code from virDomainGetInfo/GetState. */
  stateCode?: number;
  /** virDomainGetInfo's memory (KiB) × 1024, which is what 0.6 reported. */
  memoryBytes?: number;
  /** virDomainGetInfo's nrVirtCpu. */
  cpus?: number;
  /** Capacity of the root disk's volume (see findRootDisk). */
  rootDiskSizeBytes?: number;
  ip?: MachineIp;
}

/**
 * The Machine for a domain, computed as 0.6's fillVm did, but a domain that 0.6 failed on (no
 * `_disk` disk, no interface, no metadata) gives a Machine with what is known and `managed: false`.
 */
export function machineFromDomain(facts: DomainFacts, extras: MachineExtras): Machine {
  const libvirtState = libvirtStateName(extras.stateCode);
  const root = findRootDisk(facts);
  const rootDisk: RootDisk | undefined = root && {
    path: diskSourcePath(root),
    sizeBytes: extras.rootDiskSizeBytes,
    driver: root.driverName,
    type: root.driverType,
  };
  const md = facts.metadata;
  return {
    id: machineIdFromUuid(facts.uuid),
    name: facts.name,
    state: machineStateOf(libvirtState),
    libvirtState,
    plan: md?.plan ?? '',
    creator: md?.creator ?? '',
    os: md?.os ?? '',
    arch: parseHwArch(facts.arch),
    memoryBytes: extras.memoryBytes ?? facts.currentMemoryBytes ?? facts.memoryBytes ?? 0,
    cpus: extras.cpus ?? facts.currentVcpus ?? facts.vcpus ?? 0,
    imageId: md?.imageId ?? '',
    ip: extras.ip,
    hwaddr: facts.interfaces[0]?.mac ?? '',
    vncAddr: vncAddress(facts),
    rootDisk,
    sshKeys: md ? md.sshKeys.map((k) => ({ ...k })) : [],
    userdata: md?.userdata ?? '',
    managed: md !== undefined,
    provider: extras.provider,
    properties: facts.properties,
  };
}
