/** libvirt's ssh transport as the consoles read it: user, host, port, key, host key checks. */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkHostKey } from '../../../server/hypervisors/ssh/known-hosts.js';
import { sshEndpointOf } from '../../../server/hypervisors/ssh/ssh-endpoint.js';

describe('SSH endpoints from libvirt URIs', () => {
  it('reads user, host, port, keyfile and no_verify', () => {
    expect(sshEndpointOf('qemu+ssh://root@127.0.0.1:2201/system?keyfile=/run/k&no_verify=1')).toMatchObject({
      host: '127.0.0.1',
      port: 2201,
      username: 'root',
      keyFiles: ['/run/k'],
      verifyHostKey: false,
      knownHosts: [],
    });
    const plain = sshEndpointOf('qemu+ssh://hv1.example/system')!;
    expect(plain).toMatchObject({ host: 'hv1.example', port: 22, username: userInfo().username, verifyHostKey: true });
    expect(sshEndpointOf('qemu+ssh://ops@[fd00::2]:2022/system')).toMatchObject({ host: 'fd00::2', port: 2022, username: 'ops' });
    expect(sshEndpointOf('qemu+libssh2://ops@hv3/system')).toMatchObject({ host: 'hv3', username: 'ops' });
    expect(sshEndpointOf('qemu:///system')).toBeUndefined();
    expect(sshEndpointOf('qemu+tcp://hv1/system')).toBeUndefined();
  });
});

describe('known_hosts', () => {
  const key = randomBytes(51);
  const other = randomBytes(51);
  const b64 = (k: Buffer) => k.toString('base64');
  const dir = mkdtempSync(join(tmpdir(), 'vmango-known-hosts-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('knows plain, patterned, hashed and [host]:port entries', () => {
    const salt = randomBytes(20);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[hv9]:2200').digest('base64')}`;
    const path = file(
      'known',
      [
        `# comment`,
        `hv1,hv1.example ssh-ed25519 ${b64(key)}`,
        `*.lab ssh-ed25519 ${b64(key)}`,
        `${hashed} ssh-ed25519 ${b64(key)}`,
        '',
      ].join('\n'),
    );
    expect(checkHostKey([path], 'hv1', 22, key)).toBe('known');
    expect(checkHostKey([path], 'hv1.example', 22, key)).toBe('known');
    expect(checkHostKey([path], 'a.lab', 22, key)).toBe('known');
    expect(checkHostKey([path], 'hv9', 2200, key)).toBe('known');
    expect(checkHostKey([path], 'hv9', 22, key)).toBe('unknown');
    expect(checkHostKey([path], 'hv2', 22, key)).toBe('unknown');
  });

  it('refuses a changed or revoked key', () => {
    const path = file('changed', `hv1 ssh-ed25519 ${b64(other)}\n@revoked * ssh-ed25519 ${b64(randomBytes(51))}\n`);
    expect(checkHostKey([path], 'hv1', 22, key)).toBe('changed');
    const revoked = file('revoked', `@revoked * ssh-ed25519 ${b64(key)}\nhv1 ssh-ed25519 ${b64(key)}\n`);
    expect(checkHostKey([revoked], 'hv1', 22, key)).toBe('revoked');
    const negated = file('negated', `hv*,!hv1 ssh-ed25519 ${b64(key)}\n`);
    expect(checkHostKey([negated], 'hv1', 22, key)).toBe('unknown');
    expect(checkHostKey([negated], 'hv2', 22, key)).toBe('known');
  });
});
