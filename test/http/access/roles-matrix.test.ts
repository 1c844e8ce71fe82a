/**
 * Roles through the API: each built-in role (and a user without grants) against each route that
 * needs a permission — allowed or 403 naming the permission, as README's role table says. The
 * table itself must match the built-in roles in the code. Allowed calls may still fail for their
 * own reasons (the test driver cannot create or clone): what is checked is that the permission
 * check let them through, or refused them before any work.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_ROLES, PERMISSIONS, type Permission } from '../../../server/core/permissions.js';
import { REPO, WEB1_ID, DB1_ID } from '../api/panel-fixture.js';
import { startTestPanel } from '../../helpers/panel.js';
import { accessTestConfig, as, USERS } from './access-fixture.js';

type Role = keyof typeof BUILTIN_ROLES;

/** README's "Roles and permissions" table: permission → the built-in roles that have it. */
function readmeRoleTable(): Record<Role, Set<Permission>> {
  const text = readFileSync(`${REPO}/README.md`, 'utf8');
  const table: Record<Role, Set<Permission>> = { admin: new Set(), operator: new Set(), viewer: new Set() };
  const header = text.indexOf('| permission | admin | operator | viewer |');
  expect(header, 'README has the role table').toBeGreaterThan(0);
  for (const line of text.slice(header).split('\n').slice(2)) {
    const cells = /^\| `([a-z-]+)` \| (yes|—) \| (yes|—) \| (yes|—) \|/.exec(line);
    if (!cells) break;
    const permission = cells[1] as Permission;
    (['admin', 'operator', 'viewer'] as const).forEach((role, i) => {
      if (cells[i + 2] === 'yes') table[role].add(permission);
    });
  }
  return table;
}

const web1 = `/api/machines/DEMO/${WEB1_ID}/`;
const db1 = `/api/machines/DEMO/${DB1_ID}/`;

/** Every route that needs a permission on web-1 (or db-1, deleted last), in an order that keeps the next ones meaningful. */
const ROUTES: { permission: Permission; method: string; path: string; body?: unknown }[] = [
  { permission: 'view', method: 'GET', path: web1 },
  { permission: 'view', method: 'GET', path: `${web1}snapshots/` },
  { permission: 'view', method: 'GET', path: `${web1}guest/` },
  { permission: 'tags', method: 'PATCH', path: web1, body: { AddTags: ['matrix'] } },
  { permission: 'console', method: 'POST', path: `${web1}console/`, body: { Kind: 'serial' } },
  { permission: 'snapshot', method: 'POST', path: `${web1}snapshots/`, body: { Name: 'matrix' } },
  { permission: 'snapshot', method: 'POST', path: `${web1}snapshots/matrix/revert/`, body: { Force: true } },
  { permission: 'snapshot', method: 'DELETE', path: `${web1}snapshots/matrix/` },
  { permission: 'resize', method: 'POST', path: `${web1}resize/`, body: { Cpus: 1 } },
  { permission: 'clone', method: 'POST', path: `${web1}clone/`, body: { Name: 'matrix-clone' } },
  { permission: 'rebuild', method: 'POST', path: `${web1}rebuild/`, body: {} },
  { permission: 'power', method: 'POST', path: `${web1}reboot/` },
  {
    permission: 'create',
    method: 'POST',
    path: '/api/machines/',
    body: { Name: 'matrix-new', Plan: 'small', Image: 'Debian-12_amd64_qcow2.img', Provider: 'DEMO' },
  },
  { permission: 'delete', method: 'DELETE', path: db1 },
];

it('README role table is the code’s built-in roles', () => {
  const table = readmeRoleTable();
  for (const role of ['admin', 'operator', 'viewer'] as const)
    expect([...table[role]].sort()).toEqual([...BUILTIN_ROLES[role]].sort());
  // Every permission has a row.
  const text = readFileSync(`${REPO}/README.md`, 'utf8');
  for (const permission of PERMISSIONS) expect(text).toContain(`| \`${permission}\` |`);
});

const SUBJECTS: { label: string; user: string; allowed: (p: Permission) => boolean }[] = [
  { label: 'no grant (vmango 0.6)', user: USERS.full, allowed: () => true },
  ...(['admin', 'operator', 'viewer'] as const).map((role) => ({
    label: role,
    user: { admin: USERS.admin, operator: USERS.operator, viewer: USERS.viewer }[role],
    allowed: (p: Permission) => readmeRoleTable()[role].has(p),
  })),
];

describe.each(SUBJECTS)('$label', ({ user, allowed }) => {
  let panel: Awaited<ReturnType<typeof startTestPanel>>;
  beforeAll(async () => {
    panel = await startTestPanel(accessTestConfig(), { pages: false });
  });
  afterAll(async () => {
    await panel?.close();
  });

  const send = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(panel.base + path, {
      method,
      headers: { ...as(user), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  it('lists what `list` allows and images as `images` allows', async () => {
    const machines = await send('GET', '/api/machines/');
    expect(machines.status).toBe(200);
    const demo = (machines.json.Machines as Record<string, unknown[]>).DEMO ?? [];
    expect(demo.length > 0).toBe(allowed('list'));
    const images = await send('GET', '/api/images/');
    expect(images.status).toBe(200);
    expect(Object.keys(images.json.Images as object).length > 0).toBe(allowed('images'));
  });

  it.each(ROUTES.map((route) => ({ ...route, name: `${route.method} ${route.path.replace(/[0-9a-f]{32}/, 'ID')}` })))(
    '$name needs $permission',
    async ({ permission, method, path, body }) => {
      const answer = await send(method, path, body);
      if (allowed(permission)) {
        expect(answer.status, JSON.stringify(answer.json)).not.toBe(403);
      } else {
        expect(answer.status).toBe(403);
        expect(answer.json.Permission).toBe(permission);
        expect(answer.json.Error).toContain(`'${permission}' permission`);
      }
    },
  );
});
