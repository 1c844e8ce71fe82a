/**
 * virDomainGetGuestInfo's flat typed parameters ("os.id", "fs.0.total-bytes", "if.1.addr.0.addr")
 * as a tree. Absent groups (not asked for, or the agent lacks the command) stay undefined.
 */
import type { GuestOsFacts } from '../core/guest.js';

export interface GuestUser {
  name: string;
  domain?: string;
  /** ms since the epoch */
  loginTime?: number;
}

/** The OS facts the service contract names, and the variant libvirt also reports. */
export interface GuestOs extends GuestOsFacts {
  variant?: string;
  variantId?: string;
}

export interface GuestTimezone {
  name?: string;
  /** seconds east of UTC */
  offset?: number;
}

export interface GuestDisk {
  alias?: string;
  serial?: string;
  device?: string;
}

export interface GuestFilesystem {
  mountpoint: string;
  name: string;
  type: string;
  totalBytes?: number;
  usedBytes?: number;
  disks: GuestDisk[];
}

export interface GuestAddress {
  type: 'ipv4' | 'ipv6';
  addr: string;
  prefix: number;
}

export interface GuestInterface {
  name: string;
  hwaddr?: string;
  addrs: GuestAddress[];
}

export interface GuestInfo {
  users?: GuestUser[];
  os?: GuestOs;
  timezone?: GuestTimezone;
  hostname?: string;
  filesystems?: GuestFilesystem[];
  interfaces?: GuestInterface[];
}

type Params = Record<string, number | string | boolean>;

const str = (params: Params, key: string): string | undefined => {
  const v = params[key];
  return typeof v === 'string' ? v : undefined;
};
const num = (params: Params, key: string): number | undefined => {
  const v = params[key];
  return typeof v === 'number' ? v : undefined;
};
const count = (params: Params, key: string): number | undefined => {
  const n = num(params, key);
  return n === undefined ? undefined : Math.max(0, Math.min(n, 4096));
};
const times = <T>(n: number, item: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => item(i));

const OS_FIELDS: [keyof GuestOs, string][] = [
  ['id', 'id'],
  ['name', 'name'],
  ['prettyName', 'pretty-name'],
  ['version', 'version'],
  ['versionId', 'version-id'],
  ['kernelRelease', 'kernel-release'],
  ['kernelVersion', 'kernel-version'],
  ['machine', 'machine'],
  ['variant', 'variant'],
  ['variantId', 'variant-id'],
];

export function parseGuestInfo(params: Params): GuestInfo {
  const info: GuestInfo = {};
  const users = count(params, 'user.count');
  if (users !== undefined) {
    info.users = times(users, (i) => ({
      name: str(params, `user.${i}.name`) ?? '',
      domain: str(params, `user.${i}.domain`),
      loginTime: num(params, `user.${i}.login-time`),
    }));
  }
  const os: GuestOs = {};
  for (const [field, key] of OS_FIELDS) {
    const value = str(params, `os.${key}`);
    if (value !== undefined) os[field] = value;
  }
  if (Object.keys(os).length > 0) info.os = os;
  if (str(params, 'timezone.name') !== undefined || num(params, 'timezone.offset') !== undefined) {
    info.timezone = { name: str(params, 'timezone.name'), offset: num(params, 'timezone.offset') };
  }
  const hostname = str(params, 'hostname');
  if (hostname !== undefined) info.hostname = hostname;
  const filesystems = count(params, 'fs.count');
  if (filesystems !== undefined) {
    info.filesystems = times(filesystems, (i) => ({
      mountpoint: str(params, `fs.${i}.mountpoint`) ?? '',
      name: str(params, `fs.${i}.name`) ?? '',
      type: str(params, `fs.${i}.fstype`) ?? '',
      totalBytes: num(params, `fs.${i}.total-bytes`),
      usedBytes: num(params, `fs.${i}.used-bytes`),
      disks: times(count(params, `fs.${i}.disk.count`) ?? 0, (j) => ({
        alias: str(params, `fs.${i}.disk.${j}.alias`),
        serial: str(params, `fs.${i}.disk.${j}.serial`),
        device: str(params, `fs.${i}.disk.${j}.device`),
      })),
    }));
  }
  const interfaces = count(params, 'if.count');
  if (interfaces !== undefined) {
    info.interfaces = times(interfaces, (i) => ({
      name: str(params, `if.${i}.name`) ?? '',
      hwaddr: str(params, `if.${i}.hwaddr`),
      addrs: times(count(params, `if.${i}.addr.count`) ?? 0, (j) => ({
        type: str(params, `if.${i}.addr.${j}.type`) === 'ipv6' ? ('ipv6' as const) : ('ipv4' as const),
        addr: str(params, `if.${i}.addr.${j}.addr`) ?? '',
        prefix: num(params, `if.${i}.addr.${j}.prefix`) ?? 0,
      })),
    }));
  }
  return info;
}
