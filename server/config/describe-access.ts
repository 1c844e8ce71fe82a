/** One line per user for `vmango -check`: what the user's grants allow, and the quota. */
import type { GrantScope } from '../core/permissions.js';
import { QUOTA_KEYS, QUOTA_RESOURCES, type Quota } from '../core/quota.js';
import type { UserConfig } from './types.js';

function scopeText(scope: GrantScope): string {
  switch (scope.kind) {
    case 'all':
      return 'every machine';
    case 'hypervisors':
      return `hypervisor(s) ${scope.hypervisors.join(', ')}`;
    case 'tag':
      return `machines tagged ${scope.tag}`;
    case 'owned':
      return 'the machines they own';
  }
}

function quotaText(quota: Quota): string {
  const limits = QUOTA_RESOURCES.filter((resource) => quota[resource] !== undefined).map(
    (resource) => `${QUOTA_KEYS[resource]} ${quota[resource]}`,
  );
  return limits.length > 0 ? `; quota: ${limits.join(', ')}` : '';
}

export function describeUserAccess(user: UserConfig, quota: Quota): string {
  const access =
    user.access.kind === 'full'
      ? 'full access (no grant block: as in vmango 0.6)'
      : user.access.grants.length === 0
        ? 'no access'
        : user.access.grants.map((grant) => `${grant.role} on ${scopeText(grant.scope)}`).join('; ');
  return `user ${user.name}: ${access}${quotaText(quota)}`;
}
