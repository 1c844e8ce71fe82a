/**
 * The audit log's filters as query parameters (`GET /api/audit/` and the Activity page): each at
 * most once, empty ones ignored. Their values are the audit service's to check.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { AUDIT_ACTIONS, type AuditQuery } from '../core/audit.js';
import { HttpError } from './http-error.js';

/** The filters, as the API documents them (the OpenAPI document's query parameters). */
export const AUDIT_LIST_QUERY = Type.Partial(
  Type.Object({
    user: Type.String({ description: 'Entries made by this user, or with this API token id.' }),
    machine: Type.String({ description: 'Entries about this machine (its id, or its name).' }),
    provider: Type.String({ description: "Entries about this hypervisor's machines." }),
    action: Type.String({ description: `Entries of this action: ${AUDIT_ACTIONS.join(', ')}.` }),
    since: Type.String({ description: 'Entries at or after this time (ISO 8601).' }),
    until: Type.String({ description: 'Entries at or before this time (ISO 8601).' }),
    limit: Type.String({ description: 'At most this many entries, 1 to 500 (default 100).', pattern: '^[0-9]{1,6}$' }),
    cursor: Type.String({ description: 'The Next of the previous page: the entries older than it.' }),
  } satisfies Record<keyof AuditQuery, TSchema>),
  { additionalProperties: false },
);

export const AUDIT_FILTERS = Object.keys(AUDIT_LIST_QUERY.properties) as readonly (keyof AuditQuery)[];

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
