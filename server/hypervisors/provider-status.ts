/** A provider's summary for the index page: its connection state and, when connected, host facts gathered each within its own short deadline. */
import type { HypervisorConfig } from '../config/index.js';
import type { Connection } from '../libvirt/index.js';
import type { ProviderStatus, ProviderSummary, UsageFigures } from '../core/provider.js';

export function usage(totalBytes: number, usedBytes: number): UsageFigures {
  const used = Math.max(0, Math.min(usedBytes, totalBytes));
  return { totalBytes, usedBytes: used, usagePercent: totalBytes > 0 ? Math.floor((used / totalBytes) * 100) : 0 };
}

/** 0.6's figure: used = total − (free + buffers + cached), from KiB. */
export function memoryUsage(stats: Record<string, number>): UsageFigures | undefined {
  const total = stats.total;
  if (total === undefined || total <= 0) return undefined;
  const free = (stats.free ?? 0) + (stats.buffers ?? 0) + (stats.cached ?? 0);
  return usage(total * 1024, (total - free) * 1024);
}

async function optional<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch {
    return undefined;
  }
}

export interface SummaryInput {
  hv: HypervisorConfig;
  status: ProviderStatus;
  conn?: Connection;
  /** Deadline of each fact's call. */
  timeoutMs: number;
}

export async function providerSummary(input: SummaryInput): Promise<ProviderSummary> {
  const { status, conn } = input;
  const summary: ProviderSummary = {
    name: status.name,
    state: status.state,
    ...(status.error ? { error: status.error } : {}),
    since: status.since,
    uri: status.uri,
  };
  if (!conn || status.state !== 'connected') return summary;
  const call = { timeoutMs: input.timeoutMs };
  const [hostname, version, memory, pool] = await Promise.all([
    optional(conn.getHostname(call)),
    optional(conn.getVersion(call)),
    optional(conn.getNodeMemoryStats(call)),
    optional(conn.lookupStoragePoolByName(input.hv.rootStoragePool, call).then((p) => p.getInfo(call))),
  ]);
  if (hostname !== undefined) summary.hostname = hostname;
  if (version) {
    summary.libvirtVersion = version.libVersion;
    summary.hypervisorVersion = `${version.hypervisorType ?? 'hypervisor'} ${version.hypervisorVersion}`;
  }
  const mem = memory && memoryUsage(memory);
  if (mem) summary.memory = mem;
  if (pool) summary.storage = usage(pool.capacity, pool.allocation);
  return summary;
}
