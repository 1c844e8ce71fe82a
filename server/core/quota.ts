/**
 * How much a user may hold: machines, virtual CPUs, memory and disk (what a user's owned machines
 * count, with the creates still in flight). A limit left out is no limit.
 */

export const QUOTA_RESOURCES = ['machines', 'cpus', 'memoryMiB', 'diskGiB'] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

export type Quota = Readonly<Partial<Record<QuotaResource, number>>>;

export type QuotaUse = Record<QuotaResource, number>;

export const NO_USE: QuotaUse = Object.freeze({ machines: 0, cpus: 0, memoryMiB: 0, diskGiB: 0 });

/** The tightest of several quotas (a user's own and those of the user's roles), resource by resource. */
export function tightest(quotas: readonly Quota[]): Quota {
  const limit: Partial<Record<QuotaResource, number>> = {};
  for (const quota of quotas)
    for (const resource of QUOTA_RESOURCES) {
      const value = quota[resource];
      if (value !== undefined) limit[resource] = Math.min(value, limit[resource] ?? Infinity);
    }
  return limit;
}

export function addUse(a: QuotaUse, b: QuotaUse): QuotaUse {
  return {
    machines: a.machines + b.machines,
    cpus: a.cpus + b.cpus,
    memoryMiB: a.memoryMiB + b.memoryMiB,
    diskGiB: a.diskGiB + b.diskGiB,
  };
}

/** The resources `use` would take past `limit`, in QUOTA_RESOURCES order. */
export function exceeded(use: QuotaUse, limit: Quota): QuotaResource[] {
  return QUOTA_RESOURCES.filter((resource) => limit[resource] !== undefined && use[resource] > limit[resource]!);
}

/** How the config and the API name each resource. */
export const QUOTA_KEYS: Readonly<Record<QuotaResource, string>> = {
  machines: 'machines',
  cpus: 'cpus',
  memoryMiB: 'memory',
  diskGiB: 'disk_size',
};
