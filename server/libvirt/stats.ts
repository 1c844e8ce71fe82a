import { domainStateName, type DomainStateName } from './constants.js';
import type { NativeStatsRecord } from './native.js';

export interface InterfaceStats {
  name: string;
  rxBytes?: number;
  rxPackets?: number;
  rxErrors?: number;
  rxDrops?: number;
  txBytes?: number;
  txPackets?: number;
  txErrors?: number;
  txDrops?: number;
}

export interface BlockStats {
  name: string;
  path?: string;
  rdReqs?: number;
  rdBytes?: number;
  wrReqs?: number;
  wrBytes?: number;
  allocation?: number;
  capacity?: number;
  physical?: number;
}

export interface DomainStats {
  name: string;
  uuid: string;
  state?: { state: DomainStateName; reason: number };
  cpu?: { timeNs?: number; userNs?: number; systemNs?: number };
  balloon?: {
    currentKiB?: number;
    maximumKiB?: number;
    rssKiB?: number;
    availableKiB?: number;
    usableKiB?: number;
    unusedKiB?: number;
  };
  vcpu?: { current?: number; maximum?: number };
  interfaces: InterfaceStats[];
  blocks: BlockStats[];
  /** Every typed parameter libvirt returned, by its dotted name ("block.0.rd.bytes"). */
  raw: Record<string, number | string | boolean>;
}

function camel(dotted: string): string {
  return dotted.replace(/[._]([a-z])/g, (_, c: string) => c.toUpperCase());
}

const BLOCK_FIELD_NAMES: Record<string, keyof BlockStats> = {
  name: 'name',
  path: 'path',
  'rd.reqs': 'rdReqs',
  'rd.bytes': 'rdBytes',
  'wr.reqs': 'wrReqs',
  'wr.bytes': 'wrBytes',
  allocation: 'allocation',
  capacity: 'capacity',
  physical: 'physical',
};

export function parseDomainStats(record: NativeStatsRecord): DomainStats {
  const p = record.params;
  const num = (key: string): number | undefined => (typeof p[key] === 'number' ? (p[key] as number) : undefined);
  const stats: DomainStats = { name: record.name, uuid: record.uuid, interfaces: [], blocks: [], raw: p };
  if (num('state.state') !== undefined) {
    stats.state = { state: domainStateName(num('state.state') ?? 0), reason: num('state.reason') ?? 0 };
  }
  if (num('cpu.time') !== undefined) {
    stats.cpu = { timeNs: num('cpu.time'), userNs: num('cpu.user'), systemNs: num('cpu.system') };
  }
  if (num('balloon.current') !== undefined || num('balloon.maximum') !== undefined) {
    stats.balloon = {
      currentKiB: num('balloon.current'),
      maximumKiB: num('balloon.maximum'),
      rssKiB: num('balloon.rss'),
      availableKiB: num('balloon.available'),
      usableKiB: num('balloon.usable'),
      unusedKiB: num('balloon.unused'),
    };
  }
  if (num('vcpu.current') !== undefined) stats.vcpu = { current: num('vcpu.current'), maximum: num('vcpu.maximum') };
  for (let i = 0; i < (num('net.count') ?? 0); i++) {
    const prefix = `net.${i}.`;
    const entry: InterfaceStats = { name: String(p[`${prefix}name`] ?? '') };
    for (const [key, value] of Object.entries(p)) {
      if (!key.startsWith(prefix) || typeof value !== 'number') continue;
      (entry as unknown as Record<string, number>)[camel(key.slice(prefix.length))] = value;
    }
    stats.interfaces.push(entry);
  }
  for (let i = 0; i < (num('block.count') ?? 0); i++) {
    const prefix = `block.${i}.`;
    const entry: BlockStats = { name: String(p[`${prefix}name`] ?? '') };
    for (const [key, value] of Object.entries(p)) {
      if (!key.startsWith(prefix)) continue;
      const field = BLOCK_FIELD_NAMES[key.slice(prefix.length)];
      if (field !== undefined) (entry as unknown as Record<string, unknown>)[field] = value;
    }
    stats.blocks.push(entry);
  }
  return stats;
}
