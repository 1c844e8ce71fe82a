/** Roles, grants and quotas in the config: what they mean, and every mistake named with what is allowed. */
import { afterAll, describe, expect, it } from 'vitest';
import { describeUserAccess } from '../../server/config/describe-access.js';
import { AccessPolicy } from '../../server/services/access/access-policy.js';
import { ADMIN_HASH, VALID_CONFIG, configErrorOf, makeConfigDir, parseIn } from './helpers.js';

const { dir, cleanup } = makeConfigDir();
afterAll(cleanup);

const withUser = (body: string, extra = ''): string =>
  `${VALID_CONFIG}\nuser "dana" {\n  password = "${ADMIN_HASH}"\n${body}\n}\n${extra}`;
const problems = (text: string) => configErrorOf(text, dir).problems;

describe('grants', () => {
  it('a user without grants has full access, as in vmango 0.6', () => {
    const config = parseIn(VALID_CONFIG, dir);
    expect(config.users[0]!.access).toEqual({ kind: 'full' });
    expect(describeUserAccess(config.users[0]!, {})).toBe('user admin: full access (no grant block: as in vmango 0.6)');
  });

  it('reads each scope, built-in and custom roles, and says them for -check', () => {
    const config = parseIn(
      withUser(
        `  grant {\n    role = "operator"\n    hypervisors = ["LOCAL1"]\n  }\n  grant {\n    role = "support"\n    tag = "web"\n  }\n  grant {\n    role = "admin"\n    owned = true\n  }\n  grant {\n    role = "viewer"\n  }\n  quota {\n    machines = 3\n    cpus = 6\n  }`,
        `role "support" {\n  permissions = ["list", "view", "console", "console"]\n  quota {\n    machines = 2\n    memory = 4096\n  }\n}\n`,
      ),
      dir,
    );
    const dana = config.users.find((user) => user.name === 'dana')!;
    expect(config.roles).toEqual([
      { name: 'support', permissions: ['list', 'view', 'console'], quota: { machines: 2, memoryMiB: 4096 } },
    ]);
    expect(dana.roles).toEqual(['operator', 'support', 'admin', 'viewer']);
    expect(dana.access.kind).toBe('granted');
    if (dana.access.kind !== 'granted') return;
    expect(dana.access.grants.map((grant) => grant.scope)).toEqual([
      { kind: 'hypervisors', hypervisors: ['LOCAL1'] },
      { kind: 'tag', tag: 'web' },
      { kind: 'owned' },
      { kind: 'all' },
    ]);
    expect([...dana.access.grants[1]!.permissions]).toEqual(['list', 'view', 'console']);
    // The user's own quota and the custom role's bind together, the tightest of each.
    const quota = new AccessPolicy(config).quotaFor('dana');
    expect(quota).toEqual({ machines: 2, cpus: 6, memoryMiB: 4096 });
    expect(describeUserAccess(dana, quota)).toBe(
      'user dana: operator on hypervisor(s) LOCAL1; support on machines tagged web; admin on the machines they own; viewer on every machine; quota: machines 2, cpus 6, memory 4096',
    );
  });

  it.each([
    [
      'an unknown role',
      '  grant {\n    role = "superuser"\n  }',
      'user.dana.grant[0].role',
      'unknown role "superuser"; the roles are admin, operator, viewer',
    ],
    ['no role', '  grant {\n    tag = "web"\n  }', 'user.dana.grant[0].role', 'required'],
    [
      'an unknown hypervisor',
      '  grant {\n    role = "viewer"\n    hypervisors = ["MARS"]\n  }',
      'user.dana.grant[0].hypervisors[0]',
      'no hypervisor is named "MARS"; the hypervisors are LOCAL1',
    ],
    [
      'two scopes',
      '  grant {\n    role = "viewer"\n    tag = "web"\n    owned = true\n  }',
      'user.dana.grant[0]',
      'a grant has one scope',
    ],
    ['a bad tag', '  grant {\n    role = "viewer"\n    tag = "no spaces"\n  }', 'user.dana.grant[0].tag', 'is not a tag'],
    ['owned = false', '  grant {\n    role = "viewer"\n    owned = false\n  }', 'user.dana.grant[0].owned', 'set owned = true'],
    [
      'an unknown grant key',
      '  grant {\n    role = "viewer"\n    machines = ["x"]\n  }',
      'user.dana.grant[0].machines',
      "unknown key 'machines'",
    ],
    ['a grant that is not a block', '  grant = "admin"', 'user.dana.grant', 'must be written as blocks'],
    ['a negative quota', '  quota {\n    machines = -1\n  }', 'user.dana.quota.machines', 'must be a whole number from 0'],
    ['an unknown quota key', '  quota {\n    gpus = 1\n  }', 'user.dana.quota.gpus', "unknown key 'gpus'"],
  ])('refuses %s, naming the key and what is allowed', (_what, body, path, message) => {
    const found = problems(withUser(body));
    expect(found).toHaveLength(1);
    expect(found[0]!.path).toBe(path);
    expect(found[0]!.message).toContain(message);
  });
});

describe('roles', () => {
  it.each([
    ['a built-in name', 'role "admin" {\n  permissions = ["list"]\n}', 'role.admin', "'admin' is a built-in role"],
    [
      'an unknown permission',
      'role "r" {\n  permissions = ["list", "sudo"]\n}',
      'role.r.permissions[1]',
      'unknown permission "sudo"; the permissions are list, view, create',
    ],
    ['no permissions', 'role "r" {\n}', 'role.r.permissions', 'required'],
  ])('refuses %s', (_what, block, path, message) => {
    const found = problems(`${VALID_CONFIG}\n${block}\n`);
    expect(found.map((p) => p.path)).toContain(path);
    expect(found.find((p) => p.path === path)!.message).toContain(message);
  });
});
