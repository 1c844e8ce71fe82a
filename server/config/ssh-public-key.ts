export const SSH_KEY_TYPES = [
  'ssh-rsa',
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'ssh-dss',
] as const;

const RULE =
  `a full OpenSSH public key line "TYPE BASE64 [COMMENT]" with TYPE one of ${SSH_KEY_TYPES.join(', ')}, ` +
  'as found in ~/.ssh/id_*.pub';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Checks an OpenSSH public key line. Returns what is wrong, or undefined when it is valid. */
export function sshPublicKeyProblem(line: string): string | undefined {
  if (/[\r\n]/.test(line)) return `must be a single line; expected ${RULE}`;
  const [type = '', blob = ''] = line.trim().split(/[ \t]+/);
  if (!(SSH_KEY_TYPES as readonly string[]).includes(type)) {
    return `unknown key type "${type.slice(0, 40)}"; expected ${RULE}`;
  }
  if (blob === '') return `the base64 key data after "${type}" is missing; expected ${RULE}`;
  if (!BASE64.test(blob) || blob.length % 4 !== 0) return `the key data is not valid base64; expected ${RULE}`;
  const data = Buffer.from(blob, 'base64');
  if (data.length < 4) return `the key data is truncated; expected ${RULE}`;
  const typeLength = data.readUInt32BE(0);
  if (typeLength > data.length - 4) return `the key data is truncated; expected ${RULE}`;
  const embedded = data.subarray(4, 4 + typeLength).toString('latin1');
  if (embedded !== type) {
    return `the key data is a "${embedded.slice(0, 40)}" key but the line says "${type}"; expected ${RULE}`;
  }
  if (data.length === 4 + typeLength) return `the key data holds no key after its type; expected ${RULE}`;
  return undefined;
}
