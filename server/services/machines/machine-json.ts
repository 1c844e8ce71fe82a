/**
 * vmango 0.6's JSON shapes for machines and images, with keys in Go's struct field order (JS keeps
 * insertion order, so JSON.stringify writes them in this order).
 *
 * Fields 0.6 did not have come after all of 0.6's, so clients that read 0.6's output are unaffected:
 *   VM: "State" (running|stopped|paused|unknown; 0.6 hid it), "Managed" (created by vmango),
 *       "Provider" (hypervisor name, which 0.6 gave only as the list's map key).
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

const HEX = '0123456789abcdef';
/** A character encodeGoJsonString does not copy as is (surrogates, even paired, take the careful path). */
const NEEDS_ESCAPING = /["\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]/;

/**
 * A JSON string exactly as Go's encoding/json writes it: `<`, `>`, `&`, U+2028 and U+2029 as
 * \u escapes, control characters other than \n \r \t as \u00XX, and lone surrogates (which Go
 * would have seen as invalid UTF-8) as U+FFFD.
 */
export function encodeGoJsonString(value: string): string {
  // Most strings (names, ids, paths) have nothing to escape: written as they are.
  if (!NEEDS_ESCAPING.test(value)) return `"${value}"`;
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += value[i]! + value[i + 1]!;
        i++;
      } else {
        out += '\ufffd';
      }
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      out += '\ufffd';
    } else if (code === 0x22) out += '\\"';
    else if (code === 0x5c) out += '\\\\';
    else if (code === 0x0a) out += '\\n';
    else if (code === 0x0d) out += '\\r';
    else if (code === 0x09) out += '\\t';
    else if (code < 0x20 || code === 0x3c || code === 0x3e || code === 0x26) {
      out += '\\u00' + HEX[code >> 4]! + HEX[code & 15]!;
    } else if (code === 0x2028 || code === 0x2029) {
      out += code === 0x2028 ? '\\u2028' : '\\u2029';
    } else out += value[i]!;
  }
  return out + '"';
}
