/** What the caller has: quota, API tokens. */
import { AUDIT_LIST_QUERY } from '../../audit-query.js';
import { AUDIT_PAGE_REF, QUOTA_REF, TOKEN_LIST_REF } from './components.js';
import { errorResponse, FORBIDDEN, type ApiOperation } from './registry.js';

const tag = 'Account';

export const accountOperations: ApiOperation[] = [
  {
    method: 'get',
    path: '/api/quota/',
    operationId: 'getQuota',
    summary: "The user's quota: use and limit",
    tag,
    responses: { 200: { description: 'Each resource: use, limit (null: none), config key.', schema: QUOTA_REF } },
  },
  {
    method: 'get',
    path: '/api/tokens/',
    operationId: 'listTokens',
    summary: "The user's API tokens (never their hashes)",
    tag,
    responses: { 200: { description: 'The tokens of the config for this user.', schema: TOKEN_LIST_REF } },
  },
  {
    method: 'get',
    path: '/api/audit/',
    operationId: 'listAuditEntries',
    summary: 'The audit log: who changed what, from where, and how it ended',
    description:
      "Newest first, filtered; needs `audit-read`, and shows only entries about what the user's audit-read covers (entries about no machine — logins, reloads — only with audit-read on every hypervisor).",
    tag,
    query: AUDIT_LIST_QUERY,
    responses: {
      200: { description: 'A page of entries, and the cursor of the next.', schema: AUDIT_PAGE_REF },
      400: errorResponse('An unknown or repeated filter, an unknown action, a time that is not ISO 8601, a bad limit or cursor.'),
      403: FORBIDDEN,
    },
  },
];
