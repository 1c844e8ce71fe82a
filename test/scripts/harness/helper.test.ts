// The test helper's parsing and skip logic, checked against env files written
// here; runs with or without the harness.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harnessCommand, harnessEnv, insideHarnessNamespace, requireHarness } from '../../helpers/harness.js';

const SAMPLE = `VMANGO_HARNESS_NS=test-ns-that-does-not-exist
VMANGO_HARNESS_URI=qemu+ssh://root@127.0.0.1:2201/system?keyfile=/k/id&no_verify=1
VMANGO_HARNESS_URI2=qemu+ssh://root@127.0.0.1:2202/system?keyfile=/k/id&no_verify=1
VMANGO_HARNESS_KEYFILE=/k/id
VMANGO_HARNESS_NETWORK=vmango
VMANGO_HARNESS_NETWORK_CIDR=192.168.150.0/24
VMANGO_HARNESS_IMAGE_POOL=vmango-images
VMANGO_HARNESS_ROOT_POOL=default
VMANGO_HARNESS_IMAGE_DIR=/data/images
VMANGO_HARNESS_ROOT_DIR=/data/roots
VMANGO_HARNESS_DOMAIN_TYPE=kvm
`;

describe('test/helpers/harness', () => {
  let workDir: string;
  const savedEnv = { ...process.env };

  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'harness-helper-'));
  });

  afterEach(async () => {
    for (const key of ['VMANGO_HARNESS_ENV_FILE', 'VMANGO_REQUIRE_HARNESS']) {
      if (savedEnv[key] === undefined) delete process.env[key];
      else process.env[key] = savedEnv[key];
    }
    await rm(workDir, { recursive: true, force: true });
  });

  async function useEnvFile(text: string): Promise<void> {
    const path = join(workDir, 'env');
    await writeFile(path, text);
    process.env.VMANGO_HARNESS_ENV_FILE = path;
  }

  it('parses every key of the env file, keeping & and = inside values', async () => {
    await useEnvFile(SAMPLE);
    expect(harnessEnv()).toEqual({
      ns: 'test-ns-that-does-not-exist',
      uri: 'qemu+ssh://root@127.0.0.1:2201/system?keyfile=/k/id&no_verify=1',
      uri2: 'qemu+ssh://root@127.0.0.1:2202/system?keyfile=/k/id&no_verify=1',
      keyfile: '/k/id',
      network: 'vmango',
      networkCidr: '192.168.150.0/24',
      imagePool: 'vmango-images',
      rootPool: 'default',
      imageDir: '/data/images',
      rootDir: '/data/roots',
      domainType: 'kvm',
    });
  });

  it('returns undefined when the env file is absent', () => {
    process.env.VMANGO_HARNESS_ENV_FILE = join(workDir, 'missing');
    expect(harnessEnv()).toBeUndefined();
  });

  it('names the missing key of an incomplete env file', async () => {
    await useEnvFile(SAMPLE.replace(/^VMANGO_HARNESS_ROOT_POOL=.*\n/m, ''));
    expect(() => harnessEnv()).toThrow(/no VMANGO_HARNESS_ROOT_POOL/);
  });

  it('rejects an unknown domain type', async () => {
    await useEnvFile(SAMPLE.replace('DOMAIN_TYPE=kvm', 'DOMAIN_TYPE=xen'));
    expect(() => harnessEnv()).toThrow(/must be qemu or kvm, got 'xen'/);
  });

  it('skips with instructions when the harness is absent', () => {
    process.env.VMANGO_HARNESS_ENV_FILE = join(workDir, 'missing');
    delete process.env.VMANGO_REQUIRE_HARNESS;
    expect(requireHarness()).toEqual({
      skipReason:
        'real-hypervisor harness not running: start it with `scripts/harness/harness.sh up` ' +
        'and run tests via `scripts/harness/harness.sh exec …`',
    });
  });

  it('throws when the harness is absent but required', () => {
    process.env.VMANGO_HARNESS_ENV_FILE = join(workDir, 'missing');
    process.env.VMANGO_REQUIRE_HARNESS = '1';
    expect(() => requireHarness()).toThrow(/harness is required .* but not up/);
  });

  it('skips when the harness is up but this process is outside its namespace', async () => {
    await useEnvFile(SAMPLE);
    delete process.env.VMANGO_REQUIRE_HARNESS;
    const { env, skipReason } = requireHarness();
    expect(env).toBeUndefined();
    expect(skipReason).toMatch(/not inside its namespace test-ns-that-does-not-exist/);
    process.env.VMANGO_REQUIRE_HARNESS = '1';
    expect(() => requireHarness()).toThrow(/required .*not inside its namespace/);
  });

  it('is not inside a namespace that does not exist', async () => {
    await useEnvFile(SAMPLE);
    expect(insideHarnessNamespace()).toBe(false);
  });

  it('runs harness.sh and reports its exit code and output', async () => {
    const result = await harnessCommand('no-such-command');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("unknown command 'no-such-command'");
    expect(result.stderr).toContain('usage: scripts/harness/harness.sh');
  });
});
