/**
 * The audit log's filters as query parameters (`GET /api/audit/` and the Activity page): each at
 * most once, empty ones ignored. Their values are the audit service's to check.
 */
import type { AuditQuery } from '../core/audit.js';
import { HttpError } from './http-error.js';

export const AUDIT_FILTERS = ['user', 'machine', 'provider', 'action', 'since', 'until', 'limit', 'cursor'] as const;

export function auditQueryFrom(query: Record<string, unknown>): AuditQuery {
  const audit: AuditQuery = {};
  for (const [name, value] of Object.entries(query)) {
    if (!(AUDIT_FILTERS as readonly string[]).includes(name)) {
      throw new HttpError(400, `unknown query parameter "${name.slice(0, 60)}"; the audit log takes ${AUDIT_FILTERS.join(', ')}`);
    }
    if (typeof value !== 'string')
      throw new HttpError(400, `query parameter "${name}" is given more than once; it takes one value`);
    if (value === '') continue;
    if (name === 'limit') {
      if (!/^\d{1,6}$/.test(value))
        throw new HttpError(400, `limit: '${value.slice(0, 20)}' is not a whole number; give 1 to 500`);
      audit.limit = Number(value);
    } else {
      // The service names a value it does not take (an unknown action, a time that is not ISO 8601).
      (audit as Record<string, string>)[name] = value;
    }
  }
  return audit;
}
