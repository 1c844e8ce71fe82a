// Access to the real-hypervisor harness started by scripts/harness/harness.sh.
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface HarnessEnv {
  ns: string;
  uri: string;
  uri2: string;
  keyfile: string;
  network: string;
  networkCidr: string;
  imagePool: string;
  rootPool: string;
  imageDir: string;
  rootDir: string;
  domainType: 'qemu' | 'kvm';
}

const DEFAULT_ENV_FILE = '/run/vmango-harness/env';
const HARNESS_SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../scripts/harness/harness.sh');
const SKIP_REASON =
  'real-hypervisor harness not running: start it with `scripts/harness/harness.sh up` ' +
  'and run tests via `scripts/harness/harness.sh exec …`';

function envFilePath(): string {
  return process.env.VMANGO_HARNESS_ENV_FILE || DEFAULT_ENV_FILE;
}

function parseEnvFile(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) values.set(match[1]!, match[2]!);
  }
  return values;
}

/** Reads the harness env file; undefined when the harness is not up. */
export function harnessEnv(): HarnessEnv | undefined {
  const path = envFilePath();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const values = parseEnvFile(text);
  const required = (key: string): string => {
    const value = values.get(key);
    if (!value) {
      throw new Error(`harness env file ${path} has no ${key}; recreate it with \`scripts/harness/harness.sh up\``);
    }
    return value;
  };
  const domainType = required('VMANGO_HARNESS_DOMAIN_TYPE');
  if (domainType !== 'qemu' && domainType !== 'kvm') {
    throw new Error(`harness env file ${path}: VMANGO_HARNESS_DOMAIN_TYPE must be qemu or kvm, got '${domainType}'`);
  }
  return {
    ns: required('VMANGO_HARNESS_NS'),
    uri: required('VMANGO_HARNESS_URI'),
    uri2: required('VMANGO_HARNESS_URI2'),
    keyfile: required('VMANGO_HARNESS_KEYFILE'),
    network: required('VMANGO_HARNESS_NETWORK'),
    networkCidr: required('VMANGO_HARNESS_NETWORK_CIDR'),
    imagePool: required('VMANGO_HARNESS_IMAGE_POOL'),
    rootPool: required('VMANGO_HARNESS_ROOT_POOL'),
    imageDir: required('VMANGO_HARNESS_IMAGE_DIR'),
    rootDir: required('VMANGO_HARNESS_ROOT_DIR'),
    domainType,
  };
}

/**
 * The harness env, or a reason to skip. With VMANGO_REQUIRE_HARNESS=1 (CI) a
 * missing harness is an error instead of a skip.
 */
export function requireHarness(): { env?: HarnessEnv; skipReason?: string } {
  const required = process.env.VMANGO_REQUIRE_HARNESS === '1';
  const env = harnessEnv();
  if (!env) {
    if (required) {
      throw new Error(
        `the real-hypervisor harness is required (VMANGO_REQUIRE_HARNESS=1) but not up: ${envFilePath()} is missing; ` +
          'start it with `scripts/harness/harness.sh up` and run tests via `scripts/harness/harness.sh exec …`',
      );
    }
    return { skipReason: SKIP_REASON };
  }
  // The hypervisor listens only on the namespace's loopback, so from outside
  // every connection would fail (or reach something else on 127.0.0.1).
  if (!insideHarnessNamespaceOf(env.ns)) {
    const reason =
      `real-hypervisor harness is up but this process is not inside its namespace ${env.ns}: ` +
      'run tests via `scripts/harness/harness.sh exec …`';
    if (required) throw new Error(`the real-hypervisor harness is required (VMANGO_REQUIRE_HARNESS=1); ${reason}`);
    return { skipReason: reason };
  }
  return { env };
}

/**
 * Runs scripts/harness/harness.sh with the given arguments, e.g. ('freeze', '2').
 * A freeze made here belongs to this process: a freeze from another test file
 * waits until this one unfreezes (or exits), and their unfreezes leave it alone.
 */
export function harnessCommand(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(HARNESS_SCRIPT, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, VMANGO_HARNESS_FREEZE_OWNER: String(process.pid) },
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => reject(new Error(`could not run ${HARNESS_SCRIPT}: ${error.message}`)));
    child.on('close', (code, signal) => {
      resolvePromise({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
}

/** True when this process runs inside the harness network namespace. */
export function insideHarnessNamespace(): boolean {
  return insideHarnessNamespaceOf(harnessEnv()?.ns ?? process.env.VMANGO_HARNESS_NS ?? 'vmango-h');
}

function insideHarnessNamespaceOf(ns: string): boolean {
  try {
    const own = statSync('/proc/self/ns/net');
    const harness = statSync(`/run/netns/${ns}`);
    return own.ino === harness.ino && own.dev === harness.dev;
  } catch {
    return false;
  }
}
