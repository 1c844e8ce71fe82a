import { BCRYPT_HASH_RULE, isBcryptHash } from './bcrypt-hash.js';
import { keyPath, readString } from './fields.js';
import type { LabeledBlock } from './labeled-blocks.js';
import type { UserConfig } from './types.js';
import { reportUnknownKeys } from './unknown-keys.js';

export const USER_KEYS = ['password'] as const;

export function readUser({ name, reader }: LabeledBlock): UserConfig | undefined {
  const before = reader.problems.list.length;
  reportUnknownKeys(reader.body, USER_KEYS, reader.prefix, reader.problems);
  const password = readString(reader, 'password', { required: true, what: BCRYPT_HASH_RULE });
  if (password !== undefined && !isBcryptHash(password)) {
    reader.problems.add(
      keyPath(reader, 'password'),
      `is not a bcrypt hash (never put a plain password here): must be ${BCRYPT_HASH_RULE}`,
    );
  }
  if (reader.problems.list.length !== before || password === undefined) return undefined;
  return { name, passwordHash: password };
}
