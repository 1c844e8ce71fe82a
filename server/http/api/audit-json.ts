/** GET /api/audit/: the entries in the API's PascalCase, absent fields left out, and the next page's cursor. */
import type { AuditAction, AuditEntry, AuditOutcome, AuditPage } from '../../core/audit.js';

export interface AuditEntryJson {
  Time: string;
  Action: AuditAction;
  Outcome: AuditOutcome;
  User?: string;
  Token?: string;
  Address?: string;
  Provider?: string;
  Machine?: string;
  MachineName?: string;
  DurationMs: number;
  Error?: string;
  Detail?: Record<string, string | number | boolean>;
}

export interface AuditPageJson {
  Entries: AuditEntryJson[];
  Next?: string;
  Title: 'Audit log';
}

export function auditEntryToJson(entry: AuditEntry): AuditEntryJson {
  const json: AuditEntryJson = { Time: entry.time, Action: entry.action, Outcome: entry.outcome, DurationMs: entry.durationMs };
  if (entry.user !== undefined) json.User = entry.user;
  if (entry.token !== undefined) json.Token = entry.token;
  if (entry.address !== undefined) json.Address = entry.address;
  if (entry.provider !== undefined) json.Provider = entry.provider;
  if (entry.machine !== undefined) json.Machine = entry.machine;
  if (entry.machineName !== undefined) json.MachineName = entry.machineName;
  if (entry.error !== undefined) json.Error = entry.error;
  if (entry.detail !== undefined) json.Detail = { ...entry.detail };
  return json;
}

export function auditPageToJson(page: AuditPage): AuditPageJson {
  return {
    Entries: page.entries.map(auditEntryToJson),
    ...(page.next === undefined ? {} : { Next: page.next }),
    Title: 'Audit log',
  };
}
