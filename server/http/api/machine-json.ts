/**
 * vmango 0.6's JSON shapes for machines and images, with keys in Go's struct field order (JS keeps
 * insertion order, so JSON.stringify writes them in this order).
 *
 * Fields 0.6 did not have come after all of 0.6's, so clients that read 0.6's output are unaffected:
 *   VM: "State" (running|stopped|paused|unknown; 0.6 hid it), "Managed" (created by vmango),
 *       "Provider" (hypervisor name, which 0.6 gave only as the list's map key),
 *       "Tags" (sorted), "Label" ({"Name","Colour"} or null), "Description",
 *       and for one machine (not in lists) "Autostart".
 * Userdata stays out of the JSON, as in 0.6 (json:"-").
 */
import { formatRfc3339Nano } from '../../formats/go/time.js';
import type { HwArch, Image, ImageFormat, Machine, MachineState } from '../../core/machine.js';

export interface IpJson {
  Address: string;
  Gateway: string;
  Netmask: number;
  UsedBy: string;
}

export interface RootDiskJson {
  Size: number;
  Driver: string;
  Type: string;
}

export interface SshKeyJson {
  Name: string;
  Public: string;
}

export interface LabelJson {
  Name: string;
  Colour: string;
}

export interface VmJson {
  Id: string;
  Name: string;
  Plan: string;
  Creator: string;
  OS: string;
  Arch: HwArch;
  Memory: number;
  Cpus: number;
  ImageId: string;
  Ip: IpJson | null;
  HWAddr: string;
  VNCAddr: string;
  RootDisk: RootDiskJson | null;
  SSHKeys: SshKeyJson[];
  State: MachineState;
  Managed: boolean;
  Provider: string;
  Tags: string[];
  Label: LabelJson | null;
  Description: string;
  Autostart?: boolean;
}

/** 0.6's IMAGE_FMT_* numbers. */
export type ImageTypeNumber = 0 | 1 | 2;

export interface ImageJson {
  Id: string;
  OS: string;
  Arch: HwArch;
  Size: number;
  Type: ImageTypeNumber;
  Date: string;
  PoolName: string;
}

export function machineToJson(machine: Machine): VmJson {
  return {
    Id: machine.id,
    Name: machine.name,
    Plan: machine.plan,
    Creator: machine.creator,
    OS: machine.os,
    Arch: machine.arch,
    Memory: machine.memoryBytes,
    Cpus: machine.cpus,
    ImageId: machine.imageId,
    // 0.6 filled only Address; the other fields are its zero values.
    Ip: machine.ip ? { Address: machine.ip.address, Gateway: '', Netmask: 0, UsedBy: '' } : null,
    HWAddr: machine.hwaddr,
    VNCAddr: machine.vncAddr,
    RootDisk: machine.rootDisk
      ? { Size: machine.rootDisk.sizeBytes ?? 0, Driver: machine.rootDisk.driver, Type: machine.rootDisk.type }
      : null,
    SSHKeys: machine.sshKeys.map((key) => ({ Name: key.name, Public: key.public })),
    State: machine.state,
    Managed: machine.managed,
    Provider: machine.provider,
    Tags: [...machine.properties.tags],
    Label: machine.properties.label ? { Name: machine.properties.label.name, Colour: machine.properties.label.colour } : null,
    Description: machine.properties.description,
    ...(machine.autostart !== undefined ? { Autostart: machine.autostart } : {}),
  };
}

export function imageTypeNumber(format: ImageFormat | undefined): ImageTypeNumber {
  return format === 'raw' ? 1 : format === 'qcow2' ? 2 : 0;
}

/**
 * `utcOffsetMinutes` is the zone the Date is written in; by default the process's local zone, as
 * 0.6 did (it printed `Z` on a UTC host).
 */
export function imageToJson(image: Image, utcOffsetMinutes?: number): ImageJson {
  return {
    Id: image.id,
    OS: image.os,
    Arch: image.arch,
    Size: image.sizeBytes,
    Type: imageTypeNumber(image.format),
    Date: formatRfc3339Nano(image.modified, utcOffsetMinutes),
    PoolName: image.poolName,
  };
}
