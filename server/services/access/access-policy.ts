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
  private quotas = new Map<string, Quota>();
  private generation = 0;

  constructor(config: Pick<Config, 'users' | 'roles'>) {
    this.replace(config);
  }

  /** Applies a (re)loaded config's users and roles. */
  replace(config: Pick<Config, 'users' | 'roles'>): void {
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
    this.principals = principals;
    this.quotas = quotas;
  }

  principalFor(user: string): Principal | undefined {
    return this.principals.get(user);
  }

  quotaFor(user: string): Quota {
    return this.quotas.get(user) ?? {};
  }
}
