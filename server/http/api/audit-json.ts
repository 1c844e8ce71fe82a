/** GET /api/audit/: the entries in the API's PascalCase, absent fields left out, and the next page's cursor. */
import type { AuditEntry, AuditPage } from '../../core/audit.js';

export function auditEntryToJson(entry: AuditEntry): Record<string, unknown> {
  const json: Record<string, unknown> = { Time: entry.time, Action: entry.action, Outcome: entry.outcome };
  if (entry.user !== undefined) json.User = entry.user;
  if (entry.token !== undefined) json.Token = entry.token;
  if (entry.address !== undefined) json.Address = entry.address;
  if (entry.provider !== undefined) json.Provider = entry.provider;
  if (entry.machine !== undefined) json.Machine = entry.machine;
  if (entry.machineName !== undefined) json.MachineName = entry.machineName;
  json.DurationMs = entry.durationMs;
  if (entry.error !== undefined) json.Error = entry.error;
  if (entry.detail !== undefined) json.Detail = { ...entry.detail };
  return json;
}

export function auditPageToJson(page: AuditPage): Record<string, unknown> {
  return {
    Entries: page.entries.map(auditEntryToJson),
    ...(page.next === undefined ? {} : { Next: page.next }),
    Title: 'Audit log',
  };
}
