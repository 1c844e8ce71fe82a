import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../server/config/index.js';
import { ADMIN_HASH, FIXTURES, TEST_RSA_KEY } from './helpers.js';

const fixture = (name: string): string => join(FIXTURES, name);
const read = (name: string): string => readFileSync(fixture(name), 'utf8');
const withSecret = (text: string): string => `session_secret = "test-secret-0123456789abcdef0123456789"\n${text}`;
const parseInFixtures = (text: string) => parseConfig(text, { filename: fixture('example.conf'), baseDir: FIXTURES });

const tmp = mkdtempSync(join(tmpdir(), 'vmango-compat-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('vmango 0.6 shipped vmango.dist.conf', () => {
  it('unchanged, is refused only for its empty session_secret, with how to make one', () => {
    let error: unknown;
    try {
      loadConfig(fixture('vmango.dist.conf'));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('session_secret');
    expect(problems[0]?.message).toContain('head -c 32 /dev/urandom | base64');
  });

  it('with a session_secret filled in, loads as vmango 0.6 read it', () => {
    for (const name of ['vm.xml.in', 'volume.xml.in']) copyFileSync(fixture(name), join(tmp, name));
    const path = join(tmp, 'vmango.conf');
    writeFileSync(
      path,
      read('vmango.dist.conf').replace('session_secret = ""', 'session_secret = "Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy"'),
    );
    const config = loadConfig(path);
    expect(config.path).toBe(path);
    expect(config.dir).toBe(tmp);
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8000 });
    expect(config.sessionSecret).toBe('Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy');
    expect(config.staticCacheSeconds).toBe(86_400);
    expect(config.debug).toBe(false);
    expect(config.trustedProxies).toEqual([]);
    expect(config.tls).toBeUndefined();
    expect(config.users).toEqual([]);
    expect(config.sshKeys).toEqual([]);
    expect(config.hypervisors).toHaveLength(1);
    const h = config.hypervisors[0]!;
    expect(h).toMatchObject({
      name: 'LOCAL1',
      url: 'qemu:///system',
      imageStoragePool: 'vmango-images',
      rootStoragePool: 'default',
      network: 'vmango',
      vmTemplatePath: join(tmp, 'vm.xml.in'),
      volumeTemplatePath: join(tmp, 'volume.xml.in'),
      ignoreVms: [],
      configDriveFormat: 'openstack',
      callTimeoutMs: 15_000,
      longCallTimeoutMs: 600_000,
      keepaliveInterval: 5,
      keepaliveCount: 3,
    });
    expect(typeof h.vmTemplate.execute).toBe('function');
    expect(typeof h.volumeTemplate.execute).toBe('function');
    const plans = Object.fromEntries(config.plans.map((p) => [p.name, p]));
    expect(plans).toEqual({
      small: { name: 'small', memoryMiB: 512, cpus: 1, diskSizeGiB: 5, memoryBytes: 536_870_912, diskSizeBytes: 5_368_709_120 },
      medium: {
        name: 'medium',
        memoryMiB: 512,
        cpus: 1,
        diskSizeGiB: 10,
        memoryBytes: 536_870_912,
        diskSizeBytes: 10_737_418_240,
      },
      large: {
        name: 'large',
        memoryMiB: 1024,
        cpus: 2,
        diskSizeGiB: 20,
        memoryBytes: 1_073_741_824,
        diskSizeBytes: 21_474_836_480,
      },
    });
  });
});

describe("vmango 0.6's development vmango.conf", () => {
  /** Its session_secret, "changeme", is refused (too short to sign sessions); everything else loads. */
  const devConf = (): string => read('vmango.dev.conf').replace('"changeme"', '"test-secret-0123456789abcdef0123456789"');

  it('is refused for its short session_secret only, saying how to make one', () => {
    expect(() => loadConfig(fixture('vmango.dev.conf'))).toThrow(
      /^session_secret: is 8 bytes long; it must be at least 32 bytes.*head -c 32/s,
    );
  });

  it('loads with its user, key, ignore_vms = [] and debug', () => {
    const config = parseInFixtures(devConf());
    expect(config.sessionSecret).toBe('test-secret-0123456789abcdef0123456789');
    expect(config.staticCacheSeconds).toBe(0);
    expect(config.debug).toBe(true);
    expect(config.trustedProxies).toEqual(['127.0.0.1']);
    expect(config.users).toEqual([{ name: 'admin', passwordHash: ADMIN_HASH, access: { kind: 'full' }, roles: [], quota: {} }]);
    expect(config.sshKeys).toEqual([{ name: 'test', public: TEST_RSA_KEY }]);
    expect(config.hypervisors[0]?.ignoreVms).toEqual([]);
  });

  it('loads with Windows line endings and a byte order mark', () => {
    const text = '\uFEFF' + devConf().replaceAll('\n', '\r\n');
    expect(parseInFixtures(text).plans).toHaveLength(3);
  });

  it('loads with TLS files, resolved against the config directory', () => {
    const text = devConf().replace('# ssl_key', 'ssl_key').replace('# ssl_cert', 'ssl_cert');
    const config = parseInFixtures(text);
    expect(config.tls).toEqual({ keyPath: fixture('test_ssl_key.pem'), certPath: fixture('test_ssl_cert.pem') });
  });

  it('loads with the LVM templates vmango 0.6 shipped', () => {
    const text = devConf().replace('"vm.xml.in"', '"vm_lvm.xml.in"').replace('"volume.xml.in"', '"volume_lvm.xml.in"');
    const config = parseInFixtures(text);
    expect(config.hypervisors[0]?.vmTemplatePath).toBe(fixture('vm_lvm.xml.in'));
  });
});

describe('examples of the vmango 0.6 documentation', () => {
  it('hypervisor over qemu+ssh (hypervisor setup page)', () => {
    const config = parseInFixtures(withSecret(read('docs-hypervisor-ssh.conf')));
    expect(config.hypervisors[0]?.url).toBe('qemu+ssh://virt@my-server.example.com/system');
  });

  it('hypervisor (configuration page)', () => {
    const config = parseInFixtures(withSecret(read('docs-hypervisor.conf')));
    expect(config.hypervisors.map((h) => h.name)).toEqual(['LOCAL1']);
  });

  it('user with a genpw hash (users page)', () => {
    expect(parseInFixtures(withSecret(read('docs-user.conf'))).users).toEqual([
      { name: 'admin', passwordHash: ADMIN_HASH, access: { kind: 'full' }, roles: [], quota: {} },
    ]);
  });

  it('plan (configuration page)', () => {
    expect(parseInFixtures(withSecret(read('docs-plan.conf'))).plans).toEqual([
      { name: 'small', memoryMiB: 512, cpus: 1, diskSizeGiB: 5, memoryBytes: 536_870_912, diskSizeBytes: 5_368_709_120 },
    ]);
  });

  it('the examples with elided values ("$2a$10$...", "ssh-rsa AAAAB3NzaC1y...") parse, and the elided values are named', () => {
    const user = expectRefused(withSecret(read('docs-user-elided.conf')));
    expect(user.problems).toEqual([
      { path: 'user.admin.password', message: expect.stringContaining('generate one with `vmango genpw`') },
    ]);
    const key = expectRefused(withSecret(read('docs-ssh-key-elided.conf')));
    expect(key.problems).toEqual([
      { path: 'ssh_key.test.public', message: expect.stringMatching(/^the key data is not valid base64/) },
    ]);
  });
});

function expectRefused(text: string): ConfigError {
  try {
    parseInFixtures(text);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
