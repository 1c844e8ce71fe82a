/**
 * The domain model shared by the machine and image code: what vmango knows about a machine, an
 * image and a plan. Plain data only; the libvirt-facing services fill these in.
 */

import type { MachineProperties } from './machine-properties.js';

/** The states the panel distinguishes, in the order lists offer them. */
export const MACHINE_STATES = ['running', 'stopped', 'paused', 'unknown'] as const;
export type MachineState = (typeof MACHINE_STATES)[number];

export function isMachineState(value: unknown): value is MachineState {
  return (MACHINE_STATES as readonly unknown[]).includes(value);
}

/** libvirt's virDomainState names (plus 'unknown' when the state was not reported or not known). */
export type LibvirtStateName =
  'nostate' | 'running' | 'blocked' | 'paused' | 'shutdown' | 'shutoff' | 'crashed' | 'pmsuspended' | 'unknown';

/** vmango 0.6's HWArch, by its JSON spelling. */
/** 0.6's HwArch names. */
export const HW_ARCHES = ['x86_64', 'x86', 'unknown'] as const;
export type HwArch = (typeof HW_ARCHES)[number];

/** Where an address shown for a machine came from. */
export type IpSource = 'lease' | 'reservation' | 'agent';

export interface MachineIp {
  address: string;
  source: IpSource;
}

export interface RootDisk {
  /** The disk's source file or block device path. */
  path: string;
  /** Capacity of the storage volume at `path`; unknown until a service looks the volume up. */
  sizeBytes?: number;
  /** The disk's `<driver name>`, e.g. "qemu". */
  driver: string;
  /** The disk's `<driver type>`, e.g. "qcow2" or "raw". */
  type: string;
}

export interface SshKey {
  name: string;
  /** The full OpenSSH public key line. */
  public: string;
}

export interface Machine {
  /** The domain UUID as 32 lower-case hex digits without dashes (vmango 0.6's machine id). */
  id: string;
  name: string;
  state: MachineState;
  libvirtState: LibvirtStateName;
  /** From vmango metadata; '' for machines vmango did not create. */
  plan: string;
  creator: string;
  os: string;
  arch: HwArch;
  memoryBytes: number;
  cpus: number;
  imageId: string;
  ip?: MachineIp;
  /** MAC address of the first network interface; '' when the domain has none. */
  hwaddr: string;
  /** `listen:port` of the first VNC display; '' when it has no port yet (not running). */
  vncAddr: string;
  /** First non-cdrom disk whose source ends with `_disk` (vmango's naming rule). */
  rootDisk?: RootDisk;
  sshKeys: SshKey[];
  /** As 0.6 stores it: trimmed plus one newline; '' for machines without vmango metadata. */
  userdata: string;
  /** True when the domain carries vmango metadata, i.e. vmango created it. */
  managed: boolean;
  /** Name of the hypervisor block in the config that the machine lives on. */
  provider: string;
  /** Tags, label and description (machine-properties.ts); none for a machine that never had any. */
  properties: MachineProperties;
  /** libvirt's autostart flag; read for one machine at a time, undefined in lists. */
  autostart?: boolean;
}

export type ImageFormat = 'raw' | 'qcow2';

/** A point in time as libvirt reports volume timestamps: whole seconds plus nanoseconds. */
export interface VolumeTimestamp {
  seconds: number;
  nanoseconds: number;
}

export interface Image {
  /** The volume's name, e.g. `Centos-7_amd64_qcow2.img`. */
  id: string;
  /** Everything before the first `_`, e.g. `Centos-7`. */
  os: string;
  /** `os` up to its first `-` (`Centos`). */
  osName: string;
  /** `os` between its first and second `-` (`7`); '' when `os` has no `-`. */
  osVersion: string;
  arch: HwArch;
  format: ImageFormat;
  /** The volume's allocation (what 0.6 shows as Size). */
  sizeBytes: number;
  capacityBytes: number;
  /** The volume's mtime; undefined when libvirt reports none (e.g. LVM volumes). */
  modified?: VolumeTimestamp;
  poolName: string;
}

/** What a machine is created with. The config's PlanConfig satisfies this shape. */
export interface Plan {
  name: string;
  memoryBytes: number;
  cpus: number;
  diskSizeBytes: number;
}

const STATE_BY_CODE: readonly LibvirtStateName[] = [
  'nostate',
  'running',
  'blocked',
  'paused',
  'shutdown',
  'shutoff',
  'crashed',
  'pmsuspended',
];

/** A state as libvirt's XML spells it (a snapshot's `<state>`); 'unknown' for anything else. */
export function libvirtStateFromName(name: string): LibvirtStateName {
  return (STATE_BY_CODE as readonly string[]).includes(name) ? (name as LibvirtStateName) : 'unknown';
}

/** The name of a virDomainState code (as returned by virDomainGetInfo / virDomainGetState). */
export function libvirtStateName(code: number | undefined): LibvirtStateName {
  if (code === undefined || !Number.isInteger(code)) return 'unknown';
  return STATE_BY_CODE[code] ?? 'unknown';
}

/**
 * Maps libvirt's state to the panel's. 0.6 knew only running/shutdown/shutoff; we also call a
 * blocked domain running (it is, waiting on I/O), a paused or suspended one paused, and a crashed
 * one stopped (it is not running and can be started again).
 */
export function machineStateOf(state: LibvirtStateName): MachineState {
  switch (state) {
    case 'running':
    case 'blocked':
      return 'running';
    case 'paused':
    case 'pmsuspended':
      return 'paused';
    case 'shutdown':
    case 'shutoff':
    case 'crashed':
      return 'stopped';
    default:
      return 'unknown';
  }
}

/** 0.6's ParseHWArch, also accepting libvirt's `i686` spelling of 32-bit x86. */
export function parseHwArch(arch: string): HwArch {
  switch (arch) {
    case 'amd64':
    case 'x86_64':
      return 'x86_64';
    case 'i386':
    case 'i686':
    case 'x86':
      return 'x86';
    default:
      return 'unknown';
  }
}
