/**
 * The audit log's contract: one entry for every change made through the panel (and every login,
 * token use, console session, config reload and webhook delivery), who made it, from where, on what,
 * and how it ended. The services record entries; the audit service writes them as JSON lines and
 * answers queries. The one list of audited actions.
 */

export const AUDIT_ACTIONS = [
  'machine.create',
  'machine.delete',
  'machine.power', // detail.action: start, stop, reboot, …
  'machine.clone',
  'machine.rebuild',
  'machine.resize',
  'machine.properties', // tags, label, description, autostart
  'snapshot.create',
  'snapshot.revert',
  'snapshot.delete',
  'console.open',
  'console.close',
  'login',
  'login.failed',
  'logout',
  'token.use',
  'config.reload',
  'webhook.delivery',
  'webhook.drop',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export function isAuditAction(value: unknown): value is AuditAction {
  return typeof value === 'string' && (AUDIT_ACTIONS as readonly string[]).includes(value);
}

/** ok: done; refused: not allowed or not valid (4xx); failed: tried and did not work (5xx, a hypervisor error). */
export type AuditOutcome = 'ok' | 'refused' | 'failed';

export interface AuditEntry {
  /** ISO 8601, UTC, milliseconds. */
  time: string;
  action: AuditAction;
  outcome: AuditOutcome;
  /** The user the change was made as (absent for a failed login of an unknown user, a webhook delivery). */
  user?: string;
  /** The API token's id (never its secret) when the request carried one. */
  token?: string;
  /** The client's address, as the trusted-proxy rules resolve it. */
  address?: string;
  provider?: string;
  /** The machine's id (32 hex digits) and name, when the change is about one. */
  machine?: string;
  machineName?: string;
  durationMs: number;
  /** Why it was refused or failed, in the words the caller was given. */
  error?: string;
  /** What else describes the change: a power action, a snapshot's name, a webhook's status, … */
  detail?: Readonly<Record<string, string | number | boolean>>;
}

/** Where entries go. record never throws and never waits on the disk: a full or slow disk never stalls a request. */
export interface AuditSink {
  record(entry: AuditEntry): void;
}

export interface AuditQuery {
  user?: string;
  provider?: string;
  machine?: string;
  action?: AuditAction;
  /** Inclusive ISO times. */
  since?: string;
  until?: string;
  /** Newest first; at most this many (the service caps it). */
  limit?: number;
  /** The `next` cursor of the previous page. */
  cursor?: string;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `cursor` for the next (older) page; absent on the last page. */
  next?: string;
}
