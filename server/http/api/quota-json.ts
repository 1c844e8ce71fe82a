/** GET /api/quota/: each resource's use and limit (null for no limit), named as the config names them. */
import { QUOTA_KEYS, QUOTA_RESOURCES } from '../../core/quota.js';
import type { QuotaReport } from '../../core/services.js';

const JSON_NAMES = { machines: 'Machines', cpus: 'Cpus', memoryMiB: 'MemoryMegabytes', diskGiB: 'DiskSizeGigabytes' } as const;

export function quotaToJson(report: QuotaReport): Record<string, unknown> {
  const resources = Object.fromEntries(
    QUOTA_RESOURCES.map((resource) => [
      JSON_NAMES[resource],
      { Use: report.use[resource], Limit: report.limit[resource] ?? null, ConfigKey: QUOTA_KEYS[resource] },
    ]),
  );
  return { User: report.user, Quota: resources, Title: 'Quota' };
}
