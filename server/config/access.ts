/**
 * Roles, grants and quotas in the config:
 *
 *   role "support" {
 *     permissions = ["list", "view", "console", "power"]
 *     quota { machines = 5 }
 *   }
 *   user "alice" {
 *     password = "$2a$…"
 *     grant {
 *       role        = "operator"
 *       hypervisors = ["berlin"]      # or: tag = "team-a", or: owned = true; none of them: every machine
 *     }
 *     quota { machines = 3, cpus = 6, memory = 8192, disk_size = 100 }
 *   }
 *
 * A user with no grant keeps full access, as in vmango 0.6.
 */
import {
  BUILTIN_ROLES,
  FULL_ACCESS,
  isBuiltinRole,
  isPermission,
  PERMISSIONS,
  type Access,
  type Grant,
  type GrantScope,
  type Permission,
} from '../core/permissions.js';
import { isTag, TAG_RULE } from '../core/machine-properties.js';
import { QUOTA_KEYS, QUOTA_RESOURCES, type Quota } from '../core/quota.js';
import { describeValue, isPlainObject } from './describe-value.js';
import { keyPath, readBoolean, readInteger, readString, readStringList, type BlockReader } from './fields.js';
import type { LabeledBlock } from './labeled-blocks.js';
import { PLAN_LIMITS } from './plan.js';
import type { RoleConfig } from './types.js';
import { reportUnknownKeys } from './unknown-keys.js';

export const ROLE_KEYS = ['permissions', 'quota'] as const;
export const GRANT_KEYS = ['role', 'hypervisors', 'tag', 'owned'] as const;
export const QUOTA_CONFIG_KEYS = QUOTA_RESOURCES.map((resource) => QUOTA_KEYS[resource]);

const QUOTA_LIMITS: Record<(typeof QUOTA_RESOURCES)[number], { max: number; what: string }> = {
  machines: { max: 100_000, what: 'machines' },
  cpus: { max: PLAN_LIMITS.cpus * 100_000, what: 'virtual CPUs in all' },
  memoryMiB: { max: PLAN_LIMITS.memoryMiB, what: 'memory in MiB in all' },
  diskGiB: { max: PLAN_LIMITS.diskSizeGiB, what: 'root disk GiB in all' },
};

export function readRole({ name, reader }: LabeledBlock): RoleConfig | undefined {
  const before = reader.problems.list.length;
  reportUnknownKeys(reader.body, ROLE_KEYS, reader.prefix, reader.problems);
  if (isBuiltinRole(name)) {
    reader.problems.add(
      reader.prefix,
      `'${name}' is a built-in role (${Object.keys(BUILTIN_ROLES).join(', ')}) and cannot be redefined; give the role another name`,
    );
  }
  const listed = readStringList(reader, 'permissions', `permissions, from: ${PERMISSIONS.join(', ')}`);
  if (listed === undefined && !Object.hasOwn(reader.body, 'permissions'))
    reader.problems.add(keyPath(reader, 'permissions'), `required: a list of permissions, from: ${PERMISSIONS.join(', ')}`);
  const permissions: Permission[] = [];
  listed?.forEach((entry, index) => {
    if (isPermission(entry)) permissions.push(entry);
    else
      reader.problems.add(
        `${keyPath(reader, 'permissions')}[${index}]`,
        `unknown permission ${JSON.stringify(entry)}; the permissions are ${PERMISSIONS.join(', ')}`,
      );
  });
  const quota = readQuotaBlock(reader);
  if (reader.problems.list.length !== before) return undefined;
  return { name, permissions: [...new Set(permissions)], quota };
}

/** The role's permissions by name: built-in or from the config (undefined for neither). */
function rolePermissions(name: string, roles: readonly RoleConfig[]): readonly Permission[] | undefined {
  if (isBuiltinRole(name)) return BUILTIN_ROLES[name];
  return roles.find((role) => role.name === name)?.permissions;
}

export interface UserAccess {
  access: Access;
  /** The roles the user's grants name, once each, in grant order. */
  roles: string[];
}

/** The user's `grant` blocks; none means full access. */
export function readGrants(reader: BlockReader, roles: readonly RoleConfig[], hypervisors: readonly string[]): UserAccess {
  const value = Object.hasOwn(reader.body, 'grant') ? reader.body['grant'] : undefined;
  if (value === undefined || value === null) return { access: FULL_ACCESS, roles: [] };
  const path = keyPath(reader, 'grant');
  if (!Array.isArray(value) || !value.every(isPlainObject)) {
    reader.problems.add(path, `must be written as blocks, grant { role = "viewer" }, got ${describeValue(value)}`);
    return { access: FULL_ACCESS, roles: [] };
  }
  const grants: Grant[] = [];
  value.forEach((body, index) => {
    const grant = readGrant({ body, prefix: `${path}[${index}]`, problems: reader.problems }, roles, hypervisors);
    if (grant) grants.push(grant);
  });
  return { access: { kind: 'granted', grants }, roles: [...new Set(grants.map((grant) => grant.role))] };
}

function readGrant(reader: BlockReader, roles: readonly RoleConfig[], hypervisors: readonly string[]): Grant | undefined {
  const before = reader.problems.list.length;
  reportUnknownKeys(reader.body, GRANT_KEYS, reader.prefix, reader.problems);
  const known = [...Object.keys(BUILTIN_ROLES), ...roles.map((role) => role.name)];
  const role = readString(reader, 'role', { required: true, what: `a role: ${known.join(', ')}` });
  const permissions = role === undefined ? undefined : rolePermissions(role, roles);
  if (role !== undefined && permissions === undefined)
    reader.problems.add(keyPath(reader, 'role'), `unknown role ${JSON.stringify(role)}; the roles are ${known.join(', ')}`);
  const scope = readScope(reader, hypervisors);
  if (reader.problems.list.length !== before || role === undefined || permissions === undefined || scope === undefined)
    return undefined;
  return { role, permissions: new Set(permissions), scope };
}

function readScope(reader: BlockReader, hypervisors: readonly string[]): GrantScope | undefined {
  const given = (['hypervisors', 'tag', 'owned'] as const).filter((key) => Object.hasOwn(reader.body, key));
  if (given.length > 1) {
    reader.problems.add(
      reader.prefix,
      `a grant has one scope: set one of hypervisors, tag or owned (or none, for every machine), not ${given.join(' and ')}`,
    );
    return undefined;
  }
  switch (given[0]) {
    case undefined:
      return { kind: 'all' };
    case 'hypervisors': {
      const names = readStringList(reader, 'hypervisors', 'names of hypervisor blocks');
      if (names === undefined) return undefined;
      let ok = names.length > 0;
      if (!ok) reader.problems.add(keyPath(reader, 'hypervisors'), 'must name at least one hypervisor');
      names.forEach((name, index) => {
        if (hypervisors.includes(name)) return;
        reader.problems.add(
          `${keyPath(reader, 'hypervisors')}[${index}]`,
          `no hypervisor is named ${JSON.stringify(name)}; the hypervisors are ${hypervisors.join(', ') || '(none)'}`,
        );
        ok = false;
      });
      return ok ? { kind: 'hypervisors', hypervisors: [...new Set(names)] } : undefined;
    }
    case 'tag': {
      const tag = readString(reader, 'tag', { what: TAG_RULE });
      if (tag === undefined) return undefined;
      if (!isTag(tag)) {
        reader.problems.add(keyPath(reader, 'tag'), `${JSON.stringify(tag)} is not a tag: ${TAG_RULE}`);
        return undefined;
      }
      return { kind: 'tag', tag };
    }
    case 'owned': {
      const owned = readBoolean(reader, 'owned');
      if (owned !== true) {
        if (owned === false) reader.problems.add(keyPath(reader, 'owned'), 'set owned = true, or leave it out for every machine');
        return undefined;
      }
      return { kind: 'owned' };
    }
  }
}

/** An optional `quota { … }` block in a user or role. */
export function readQuotaBlock(reader: BlockReader): Quota {
  const value = Object.hasOwn(reader.body, 'quota') ? reader.body['quota'] : undefined;
  if (value === undefined || value === null) return {};
  const path = keyPath(reader, 'quota');
  if (!Array.isArray(value) || value.length !== 1 || !isPlainObject(value[0])) {
    reader.problems.add(path, `must be one block, quota { machines = 3 }, got ${describeValue(value)}`);
    return {};
  }
  const block: BlockReader = { body: value[0], prefix: path, problems: reader.problems };
  reportUnknownKeys(block.body, QUOTA_CONFIG_KEYS, path, reader.problems);
  const quota: Partial<Record<(typeof QUOTA_RESOURCES)[number], number>> = {};
  for (const resource of QUOTA_RESOURCES) {
    const { max, what } = QUOTA_LIMITS[resource];
    const limit = readInteger(block, QUOTA_KEYS[resource], { min: 0, max, what });
    if (limit !== undefined) quota[resource] = limit;
  }
  return quota;
}
