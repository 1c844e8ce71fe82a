import { createHash } from 'node:crypto';

/**
 * The SHA256 fingerprint of an OpenSSH public key line as `ssh-keygen -l` prints it:
 * `SHA256:` and the unpadded base64 of the SHA-256 of the key blob. Undefined when the line holds no blob.
 */
export function sshKeyFingerprint(publicKeyLine: string): string | undefined {
  const blob = publicKeyLine.trim().split(/[ \t]+/)[1];
  if (!blob || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return undefined;
  const digest = createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}
