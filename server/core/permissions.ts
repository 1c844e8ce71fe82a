/**
 * Who may do what: the permissions, the built-in roles, and how a user's grants decide one
 * permission on one target. The one list of these facts; the config reads them, the services
 * enforce them, the pages hide what they refuse, and the README's role table is checked against them.
 */

export const PERMISSIONS = [
  'list', // see a machine in lists and the live stream
  'view', // open a machine (its page, GET /api/machines/{provider}/{id}/, its snapshots, its guest facts)
  'create',
  'delete',
  'power', // start, stop, reboot, …
  'console',
  'snapshot', // take, revert and delete snapshots
  'resize',
  'clone', // also needs `create` for the clone
  'rebuild',
  'tags', // tags, label, description, autostart
  'userdata-read',
  'images', // see a hypervisor's images
  'audit-read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

export const BUILTIN_ROLES: Readonly<Record<'admin' | 'operator' | 'viewer', readonly Permission[]>> = Object.freeze({
  admin: PERMISSIONS,
  operator: ['list', 'view', 'power', 'console', 'images'],
  viewer: ['list', 'view', 'images'],
});
export type BuiltinRole = keyof typeof BUILTIN_ROLES;

export function isBuiltinRole(name: string): name is BuiltinRole {
  return Object.hasOwn(BUILTIN_ROLES, name);
}

/** What a grant covers: every machine, the machines of some hypervisors, those with a tag, those the user owns. */
export type GrantScope =
  { kind: 'all' } | { kind: 'hypervisors'; hypervisors: readonly string[] } | { kind: 'tag'; tag: string } | { kind: 'owned' };

export interface Grant {
  role: string;
  permissions: ReadonlySet<Permission>;
  scope: GrantScope;
}

/**
 * A user's access: `full` for a user the config gives no grant (vmango 0.6's meaning of a user),
 * otherwise the union of the grants.
 */
export type Access = { kind: 'full' } | { kind: 'granted'; grants: readonly Grant[] };

export const FULL_ACCESS: Access = Object.freeze({ kind: 'full' });

/** What a permission is asked for: a hypervisor, and the machine on it when there is one. */
export interface AccessTarget {
  provider: string;
  machine?: { tags: readonly string[]; owner: string };
}

function covers(scope: GrantScope, user: string, target: AccessTarget): boolean {
  switch (scope.kind) {
    case 'all':
      return true;
    case 'hypervisors':
      return scope.hypervisors.includes(target.provider);
    // Tag and ownership scopes are about machines; on a hypervisor itself (its images, a create
    // there) they reach every hypervisor, and the machine a create makes is checked on its own.
    case 'tag':
      return target.machine === undefined || target.machine.tags.includes(scope.tag);
    case 'owned':
      return target.machine === undefined || (target.machine.owner !== '' && target.machine.owner === user);
  }
}

export function allows(access: Access, user: string, permission: Permission, target: AccessTarget): boolean {
  if (access.kind === 'full') return true;
  return access.grants.some((grant) => grant.permissions.has(permission) && covers(grant.scope, user, target));
}

/** Whether any grant gives the permission on anything of the hypervisor (or on any hypervisor). */
export function allowsSomewhere(access: Access, permission: Permission, provider?: string): boolean {
  if (access.kind === 'full') return true;
  return access.grants.some(
    (grant) =>
      grant.permissions.has(permission) &&
      (provider === undefined || grant.scope.kind !== 'hypervisors' || grant.scope.hypervisors.includes(provider)),
  );
}
