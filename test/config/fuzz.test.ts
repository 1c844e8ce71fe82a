import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, type Config } from '../../server/config/index.js';
import { ADMIN_HASH, FIXTURES, TEST_ECDSA_KEY, TEST_ED25519_KEY, VALID_CONFIG, makeConfigDir } from './helpers.js';
import { configViolations } from './invariants.js';

const { dir, cleanup } = makeConfigDir();
afterAll(cleanup);

/** Generous: a load is a few milliseconds; the parser's own time limit is 3 s. */
const LOAD_TIME_BOUND_MS = 5000;

const FULL_CONFIG = `listen = "[::1]:8443"
session_secret = "test-secret-0123456789abcdef0123456789"
static_cache = "1d"
debug = true
trusted_proxies = ["::1", "10.0.0.0/8"]
ssl_key = "test_ssl_key.pem"
ssl_cert = "test_ssl_cert.pem"

hypervisor "a" {
  url = "qemu+ssh://virt@host.example.com/system?socket=/run/libvirt/sock"
  image_storage_pool = "images"
  root_storage_pool = "vms"
  network = "vmango"
  vm_template = "vm.xml.in"
  volume_template = "volume.xml.in"
  ignored_vms = ["x", "y"]
  config_drive_format = "nocloud"
  call_timeout = "15s"
  long_call_timeout = "10m"
  keepalive_interval = 5
  keepalive_count = 3
}

user "admin" {
  password = "${ADMIN_HASH}"
}

ssh_key "ed" {
  public = "${TEST_ED25519_KEY}"
}

ssh_key "ec" {
  public = "${TEST_ECDSA_KEY}"
}

plan "tiny" {
  memory = 256
  cpus = 1
  disk_size = 1
}
`;

const SEEDS = [
  VALID_CONFIG,
  FULL_CONFIG,
  // vmango 0.6's development config, with a secret long enough to be accepted.
  readFileSync(join(FIXTURES, 'vmango.dev.conf'), 'utf8').replace('"changeme"', '"test-secret-0123456789abcdef0123456789"'),
];

type Outcome = { accepted: Config } | { refused: ConfigError };

/** Loads text; fails the property if anything but a Config or a ConfigError comes out, or if it is slow or accepts an invalid config. */
function loadChecked(text: string): Outcome {
  const started = performance.now();
  let outcome: Outcome;
  try {
    outcome = { accepted: parseConfig(text, { filename: join(dir, 'fuzz.conf'), baseDir: dir }) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw new Error(`threw ${String(err)} for:\n${text}`, { cause: err });
    if (
      err.problems.length === 0 ||
      err.problems.some((p) => !p.path || !p.message || p.message.includes('[object Object]') || p.message === '{}')
    ) {
      throw new Error(`ConfigError with an empty or opaque problem: ${JSON.stringify(err.problems)}`, { cause: err });
    }
    outcome = { refused: err };
  }
  const elapsed = performance.now() - started;
  if (elapsed > LOAD_TIME_BOUND_MS) throw new Error(`took ${elapsed.toFixed(0)} ms for:\n${text}`);
  if ('accepted' in outcome) {
    const violations = configViolations(outcome.accepted);
    if (violations.length > 0) throw new Error(`accepted an invalid config (${violations.join('; ')}):\n${text}`);
  }
  return outcome;
}

const seed = fc.constantFrom(...SEEDS);
const INTERESTING_CHARS = [
  '{',
  '}',
  '[',
  ']',
  '"',
  '=',
  '\n',
  '#',
  '$',
  '%',
  '\\',
  ',',
  ' ',
  '0',
  '-',
  '.',
  ':',
  '/',
  'é',
  '😀',
  '\u0000',
  '\r',
  '\t',
  '<<',
];
const char = fc.oneof(fc.constantFrom(...INTERESTING_CHARS), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }));

const byteMutation = fc
  .tuple(seed, fc.array(fc.tuple(fc.nat(), fc.constantFrom('insert', 'replace', 'delete'), char), { minLength: 1, maxLength: 4 }))
  .map(([text, edits]) =>
    edits.reduce((t, [at, op, c]) => {
      const i = t.length === 0 ? 0 : at % t.length;
      if (op === 'insert') return t.slice(0, i) + c + t.slice(i);
      if (op === 'replace') return t.slice(0, i) + c + t.slice(i + 1);
      return t.slice(0, i) + t.slice(i + 1);
    }, text),
  );

const lineMutation = fc
  .tuple(
    seed,
    fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('delete', 'duplicate', 'swap')), { minLength: 1, maxLength: 3 }),
  )
  .map(([text, edits]) => {
    const lines = text.split('\n');
    for (const [a, b, op] of edits) {
      const i = a % lines.length;
      const j = b % lines.length;
      if (op === 'delete') lines.splice(i, 1);
      else if (op === 'duplicate') lines.splice(j, 0, lines[i] ?? '');
      else [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
      if (lines.length === 0) lines.push('');
    }
    return lines.join('\n');
  });

/** Random HCL values, biased towards ones that are nearly valid for some key. */
const scalarHcl: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: -3, max: 70000 }).map(String),
  fc.constantFrom(
    '0',
    '1',
    '-1',
    '1.5',
    '1e400',
    '9007199254740993',
    '0.0',
    '1e3',
    'true',
    'false',
    'null',
    'foo',
    'foo.bar',
    '1 + 1',
    'upper("x")',
  ),
  fc.string({ maxLength: 12 }).map((s) => JSON.stringify(s)),
  fc
    .constantFrom(
      '',
      '0',
      '24h',
      '1d',
      '-5s',
      '1x',
      '127.0.0.1:8000',
      '[::1]:0',
      ':65535',
      'localhost',
      '10.0.0.0/8',
      '::1/129',
      'qemu:///system',
      'not a uri',
      'openstack',
      'nocloud',
      'cdrom',
      ADMIN_HASH,
      ADMIN_HASH.slice(1),
      TEST_ED25519_KEY,
      TEST_ED25519_KEY.replace('ssh-ed25519', 'ssh-rsa'),
      'ssh-ed25519 AAAA',
      'vm.xml.in',
      'volume.xml.in',
      'missing.xml.in',
      '/',
      'test_ssl_key.pem',
      '${x}',
      '%{if true}a%{endif}',
      'a/b',
    )
    .map((s) => JSON.stringify(s).replaceAll('${', '$${')),
  fc.constantFrom('"${var.x}"', '<<EOT\nheredoc\nEOT\n'),
);
const hclValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: scalarHcl },
  { weight: 1, arbitrary: fc.array(scalarHcl, { maxLength: 3 }).map((items) => `[${items.join(', ')}]`) },
  {
    weight: 1,
    arbitrary: fc.dictionary(fc.constantFrom('a', 'memory', 'url'), scalarHcl, { maxKeys: 2 }).map(
      (o) =>
        `{ ${Object.entries(o)
          .map(([k, v]) => `${k} = ${v}`)
          .join(', ')} }`,
    ),
  },
);

const valueMutation = fc
  .tuple(seed, fc.array(fc.tuple(fc.nat(), hclValue), { minLength: 1, maxLength: 3 }))
  .map(([text, edits]) => {
    const lines = text.split('\n');
    const assignments = lines.map((l, i) => (/^\s*[a-z_]+\s*=/.test(l) ? i : -1)).filter((i) => i >= 0);
    for (const [pick, value] of edits) {
      const i = assignments[pick % assignments.length] ?? 0;
      lines[i] = (lines[i] ?? '').replace(/=.*$/, `= ${value}`);
    }
    return lines.join('\n');
  });

const KEYS = [
  'listen',
  'session_secret',
  'static_cache',
  'debug',
  'trusted_proxies',
  'ssl_key',
  'ssl_cert',
  'url',
  'image_storage_pool',
  'root_storage_pool',
  'network',
  'vm_template',
  'volume_template',
  'ignore_vms',
  'ignored_vms',
  'config_drive_format',
  'call_timeout',
  'long_call_timeout',
  'keepalive_interval',
  'keepalive_count',
  'memory',
  'cpus',
  'disk_size',
  'password',
  'public',
  'sesion_secret',
  'hypervisor',
  'plan',
];
const VALID_ASSIGNMENTS = [
  'config_drive_format = "nocloud"',
  'call_timeout = "1m"',
  'long_call_timeout = "2h"',
  'keepalive_interval = 7',
  'keepalive_count = 9',
  'listen = ":9000"',
  'static_cache = "10m"',
  'debug = false',
  'ignore_vms = ["z"]',
  'url = ""',
  'trusted_proxies = []',
];
const assignment = fc.oneof(
  fc.tuple(fc.constantFrom(...KEYS), hclValue).map(([key, value]) => `${key} = ${value}`),
  fc.constantFrom(...VALID_ASSIGNMENTS),
);
const keyInsertion = fc
  .tuple(seed, fc.array(fc.tuple(fc.nat(), assignment), { minLength: 1, maxLength: 3 }))
  .map(([text, edits]) => {
    const lines = text.split('\n');
    for (const [at, line] of edits) lines.splice(at % (lines.length + 1), 0, line);
    return lines.join('\n');
  });

const TOKEN = /"(?:[^"\\\n]|\\.)*"|[A-Za-z_][\w-]*|-?\d+(?:\.\d+)?|\s+|./gsu;
const replacementToken = fc.oneof(
  hclValue,
  fc.constantFrom('{', '}', '[', ']', '=', ',', '"', '', 'plan', 'hypervisor "b"', 'user', '"x"', '\n', 'ssh_key "k" {'),
);
const tokenMutation = fc
  .tuple(seed, fc.array(fc.tuple(fc.nat(), replacementToken), { minLength: 1, maxLength: 3 }))
  .map(([text, edits]) => {
    const tokens = text.match(TOKEN) ?? [];
    for (const [at, replacement] of edits) tokens[at % tokens.length] = replacement;
    return tokens.join('');
  });

// Async with a yield per run: a synchronous loop of parses would starve vitest's own RPC for minutes.
async function runProperty(
  name: string,
  arbitrary: fc.Arbitrary<string>,
  numRuns: number,
): Promise<{ accepted: number; refused: number }> {
  const counts = { accepted: 0, refused: 0 };
  await fc.assert(
    fc.asyncProperty(arbitrary, async (text) => {
      await new Promise((resolve) => setImmediate(resolve));
      const outcome = loadChecked(text);
      if ('accepted' in outcome) counts.accepted++;
      else counts.refused++;
    }),
    { numRuns, seed: Number(process.env['FUZZ_SEED'] ?? 20170716) + name.length },
  );
  return counts;
}

describe('config loader fuzzing', () => {
  it('the seed configs load and satisfy the invariants', () => {
    for (const text of SEEDS) expect(loadChecked(text)).toHaveProperty('accepted');
  });

  it('the invariant checker catches broken configs', () => {
    const good = parseConfig(FULL_CONFIG, { filename: join(dir, 'f.conf'), baseDir: dir });
    expect(configViolations(good)).toEqual([]);
    const broken = (patch: (c: Config) => void): string[] => {
      const copy = structuredClone({ ...good, hypervisors: [] }) as Config;
      copy.hypervisors = good.hypervisors.map((h) => ({ ...h }));
      patch(copy);
      return configViolations(copy);
    };
    expect(broken((c) => (c.listen.port = 0))).not.toEqual([]);
    expect(broken((c) => (c.sessionSecret = ''))).not.toEqual([]);
    expect(broken((c) => c.plans.push({ ...c.plans[0]! }))).not.toEqual([]);
    expect(broken((c) => (c.plans[0]!.memoryBytes = 1))).not.toEqual([]);
    expect(broken((c) => (c.users[0]!.passwordHash = 'secret'))).not.toEqual([]);
    expect(broken((c) => (c.sshKeys[0]!.public = TEST_ED25519_KEY.replace('ssh-ed25519', 'ssh-rsa')))).not.toEqual([]);
    expect(broken((c) => (c.trustedProxies = ['10.0.0.0/40']))).not.toEqual([]);
    expect(broken((c) => (c.hypervisors[0]!.vmTemplatePath = join(dir, 'nope')))).not.toEqual([]);
    expect(broken((c) => (c.hypervisors[0]!.callTimeoutMs = 0))).not.toEqual([]);
  });

  // 3000 mutated files in all.
  it.each([
    ['byte mutations', byteMutation, 900],
    ['line mutations', lineMutation, 400],
    ['token mutations', tokenMutation, 600],
    ['random values in existing keys', valueMutation, 700],
    ['random keys with random values', keyInsertion, 400],
  ] as const)(
    '%s: only Config or ConfigError, in bounded time, and never an invalid Config',
    async (name, arbitrary, numRuns) => {
      const counts = await runProperty(name, arbitrary, numRuns);
      if (process.env['FUZZ_VERBOSE']) console.log(name, counts);
      // Both outcomes must occur, or the mutations are not exercising the validator.
      expect(counts.accepted).toBeGreaterThan(0);
      expect(counts.refused).toBeGreaterThan(0);
    },
    120_000,
  );
});
