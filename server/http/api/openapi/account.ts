/** What the caller has: quota, API tokens. */
import { QUOTA_REF, TOKEN_LIST_REF } from './components.js';
import type { ApiOperation } from './registry.js';

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
];
