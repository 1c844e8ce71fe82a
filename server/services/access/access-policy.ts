/**
 * The config's users as principals: each user's access (full without grants), the quota that binds
 * them (the tightest of their own and their roles'), and a view key that changes when the config
 * does, so no response made under the old policy is served under the new one.
 */
import type { Config } from '../../config/index.js';
import { isBuiltinRole } from '../../core/permissions.js';
import type { Principal } from '../../core/principal.js';
import { tightest, type Quota } from '../../core/quota.js';

export class AccessPolicy {
  private principals = new Map<string, Principal>();
  private tokenPrincipals = new Map<string, Principal>();
  private quotas = new Map<string, Quota>();
  private generation = 0;

  constructor(config: Pick<Config, 'users' | 'roles' | 'tokens'>) {
    this.replace(config);
  }

  /** Applies a (re)loaded config's users, roles and tokens. */
  replace(config: Pick<Config, 'users' | 'roles' | 'tokens'>): void {
    this.generation++;
    const principals = new Map<string, Principal>();
    const quotas = new Map<string, Quota>();
    for (const user of config.users) {
      const full = user.access.kind === 'full';
      principals.set(
        user.name,
        Object.freeze({
          user: user.name,
          access: Object.freeze([user.access]),
          viewKey: full ? '' : `${this.generation}\u0000${user.name}`,
        }),
      );
      const roleQuotas = user.roles
        .filter((role) => !isBuiltinRole(role))
        .map((role) => config.roles.find((candidate) => candidate.name === role)?.quota ?? {});
      quotas.set(user.name, tightest([user.quota, ...roleQuotas]));
    }
    // A token acts as its user, narrowed by its own grants (never widened: both must allow).
    const tokenPrincipals = new Map<string, Principal>();
    for (const token of config.tokens) {
      const user = principals.get(token.user);
      if (!user) continue;
      const narrowed = token.access.kind !== 'full';
      tokenPrincipals.set(
        token.id,
        Object.freeze({
          user: user.user,
          access: Object.freeze(narrowed ? [...user.access, token.access] : user.access),
          tokenId: token.id,
          viewKey: narrowed ? `${this.generation}\u0000${user.user}\u0000token\u0000${token.id}` : user.viewKey,
        }),
      );
    }
    this.principals = principals;
    this.tokenPrincipals = tokenPrincipals;
    this.quotas = quotas;
  }

  /** The principal of an API token (checked already), undefined once its block is gone. */
  principalForToken(tokenId: string): Principal | undefined {
    return this.tokenPrincipals.get(tokenId);
  }

  principalFor(user: string): Principal | undefined {
    return this.principals.get(user);
  }

  quotaFor(user: string): Quota {
    return this.quotas.get(user) ?? {};
  }
}
