import { BCRYPT_HASH_RULE, isBcryptHash } from './bcrypt-hash.js';
import { keyPath, readString } from './fields.js';
import type { LabeledBlock } from './labeled-blocks.js';
import type { RoleConfig, UserConfig } from './types.js';
import { readGrants, readQuotaBlock } from './access.js';
import { reportUnknownKeys } from './unknown-keys.js';

export const USER_KEYS = ['password', 'grant', 'quota'] as const;

export function readUser(
  { name, reader }: LabeledBlock,
  roles: readonly RoleConfig[],
  hypervisors: readonly string[],
): UserConfig | undefined {
  const before = reader.problems.list.length;
  reportUnknownKeys(reader.body, USER_KEYS, reader.prefix, reader.problems);
  const password = readString(reader, 'password', { required: true, what: BCRYPT_HASH_RULE });
  if (password !== undefined && !isBcryptHash(password)) {
    reader.problems.add(
      keyPath(reader, 'password'),
      `is not a bcrypt hash (never put a plain password here): must be ${BCRYPT_HASH_RULE}`,
    );
  }
  const { access, roles: granted } = readGrants(reader, roles, hypervisors);
  const quota = readQuotaBlock(reader);
  if (reader.problems.list.length !== before || password === undefined) return undefined;
  return { name, passwordHash: password, access, roles: granted, quota };
}
