/**
 * Who a request acts for: the user, what the user may do, and — for a request made with an API
 * token — what the token may do, which can only narrow the user's access.
 */
import { allows, allowsSomewhere, type Access, type AccessTarget, type Permission } from './permissions.js';

export interface Principal {
  user: string;
  /** Every entry must allow a permission: the user's access, then the token's when there is one. */
  access: readonly Access[];
  /** The token's id (never its secret), for the audit log. */
  tokenId?: string;
  /**
   * The same for two principals that see exactly the same: a response made for one may be given to
   * the other. '' for full access.
   */
  viewKey: string;
}

export function can(principal: Principal, permission: Permission, target: AccessTarget): boolean {
  return principal.access.every((access) => allows(access, principal.user, permission, target));
}

export function canSomewhere(principal: Principal, permission: Permission, provider?: string): boolean {
  return principal.access.every((access) => allowsSomewhere(access, permission, provider));
}

/** True when nothing narrows the principal: every check passes without looking at the target. */
export function isUnrestricted(principal: Principal): boolean {
  return principal.access.every((access) => access.kind === 'full');
}
