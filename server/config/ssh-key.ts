import { keyPath, readString } from './fields.js';
import type { LabeledBlock } from './labeled-blocks.js';
import { sshPublicKeyProblem } from './ssh-public-key.js';
import type { SshKeyConfig } from './types.js';
import { reportUnknownKeys } from './unknown-keys.js';

export const SSH_KEY_KEYS = ['public'] as const;

export function readSshKey({ name, reader }: LabeledBlock): SshKeyConfig | undefined {
  const before = reader.problems.list.length;
  reportUnknownKeys(reader.body, SSH_KEY_KEYS, reader.prefix, reader.problems);
  const line = readString(reader, 'public', {
    required: true,
    what: 'a full OpenSSH public key line, e.g. the content of ~/.ssh/id_ed25519.pub',
  });
  if (line !== undefined) {
    const bad = sshPublicKeyProblem(line);
    if (bad) reader.problems.add(keyPath(reader, 'public'), bad);
  }
  if (reader.problems.list.length !== before || line === undefined) return undefined;
  return { name, public: line.trim() };
}
