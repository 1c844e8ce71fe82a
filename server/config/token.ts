/**
 * API tokens in the config, as `vmango gentoken` prints them:
 *
 *   token "t-3f9a2c4b" {
 *     user        = "alice"
 *     hash        = "sha256:…"            # of the token's secret; the token itself is never stored
 *     expires     = "2027-03-04T00:00:00Z"
 *     description = "CI deploys"
 *     grant {                             # optional: narrows what the token may do (never widens
 *       role = "operator"                 # it past the user's own access); none: as the user
 *     }
 *   }
 *
 * Removing the block (and sending SIGHUP) revokes the token.
 */
import { FULL_ACCESS } from '../core/permissions.js';
import { keyPath, readString } from './fields.js';
import type { LabeledBlock } from './labeled-blocks.js';
import { readGrants } from './access.js';
import type { RoleConfig, TokenConfig, UserConfig } from './types.js';
import { reportUnknownKeys } from './unknown-keys.js';

export const TOKEN_KEYS = ['user', 'hash', 'expires', 'description', 'grant'] as const;
export const TOKEN_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const TOKEN_ID_RULE = '1–64 lower-case letters, digits and -, starting with a letter or digit';
const HASH = /^sha256:([0-9a-f]{64})$/;

export function readToken(
  { name, reader }: LabeledBlock,
  users: readonly UserConfig[],
  roles: readonly RoleConfig[],
  hypervisors: readonly string[],
): TokenConfig | undefined {
  const before = reader.problems.list.length;
  reportUnknownKeys(reader.body, TOKEN_KEYS, reader.prefix, reader.problems);
  if (!TOKEN_ID.test(name)) reader.problems.add(reader.prefix, `token name ${JSON.stringify(name)}: must be ${TOKEN_ID_RULE}`);
  const user = readString(reader, 'user', { required: true, what: 'the name of a user block' });
  if (user !== undefined && !users.some((candidate) => candidate.name === user))
    reader.problems.add(
      keyPath(reader, 'user'),
      `no user is named ${JSON.stringify(user)}; the users are ${users.map((u) => u.name).join(', ') || '(none)'}`,
    );
  const hashText = readString(reader, 'hash', {
    required: true,
    what: '"sha256:" and 64 hex digits, as vmango gentoken prints it',
  });
  const hash = hashText === undefined ? undefined : HASH.exec(hashText)?.[1];
  if (hashText !== undefined && hash === undefined)
    reader.problems.add(keyPath(reader, 'hash'), 'must be "sha256:" and 64 lower-case hex digits, as vmango gentoken prints it');
  const expiresText = readString(reader, 'expires', {
    required: true,
    what: 'an RFC 3339 time such as "2027-03-04T00:00:00Z", or "never"',
  });
  let expiresAt: Date | undefined;
  if (expiresText !== undefined && expiresText !== 'never') {
    expiresAt = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(expiresText)
      ? new Date(expiresText)
      : undefined;
    if (expiresAt === undefined || Number.isNaN(expiresAt.getTime()))
      reader.problems.add(
        keyPath(reader, 'expires'),
        `${JSON.stringify(expiresText)} is not a time: write RFC 3339 such as "2027-03-04T00:00:00Z", or "never"`,
      );
  }
  const description = readString(reader, 'description', { what: 'what the token is for', allowEmpty: true }) ?? '';
  const hasGrant = Object.hasOwn(reader.body, 'grant');
  const access = hasGrant ? readGrants(reader, roles, hypervisors).access : FULL_ACCESS;
  if (reader.problems.list.length !== before || user === undefined || hash === undefined || expiresText === undefined)
    return undefined;
  return { id: name, user, hash, ...(expiresAt ? { expiresAt } : {}), description, access };
}
