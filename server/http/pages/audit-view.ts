/** How audit entries read on the Activity page and a machine's History card. */
import type { AuditEntry } from '../../core/audit.js';
import { readableTime } from './format.js';
import { machineUrl } from './machine-view.js';

export interface AuditRow {
  /** To the minute, as the other pages show times; `at` (ISO, to the millisecond) is its title. */
  time: string;
  at: string;
  user: string;
  token?: string;
  action: string;
  /** The detail as `key=value` words (a power action, a snapshot's name). */
  detail: string;
  machineLabel?: string;
  machineHref?: string;
  provider?: string;
  outcome: string;
  error?: string;
  duration: string;
  address?: string;
}

export function auditRow(entry: AuditEntry): AuditRow {
  const detail = Object.entries(entry.detail ?? {})
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(' ');
  return {
    time: readableTime(new Date(entry.time)),
    at: entry.time,
    user: entry.user ?? '',
    ...(entry.token === undefined ? {} : { token: entry.token }),
    action: entry.action,
    detail,
    ...(entry.machine === undefined && entry.machineName === undefined
      ? {}
      : { machineLabel: entry.machineName ?? entry.machine }),
    ...(entry.provider !== undefined && entry.machine !== undefined && entry.action !== 'machine.delete'
      ? { machineHref: machineUrl(entry.provider, entry.machine) }
      : {}),
    ...(entry.provider === undefined ? {} : { provider: entry.provider }),
    outcome: entry.outcome,
    ...(entry.error === undefined ? {} : { error: entry.error }),
    duration: entry.durationMs >= 1000 ? `${(entry.durationMs / 1000).toFixed(1)} s` : `${entry.durationMs} ms`,
    ...(entry.address === undefined ? {} : { address: entry.address }),
  };
}
