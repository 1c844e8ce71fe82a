import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../server/config/index.js';
import { ADMIN_HASH, TEST_ECDSA_KEY, TEST_ED25519_KEY, VALID_CONFIG, configErrorOf, makeConfigDir, parseIn } from './helpers.js';

const { dir, cleanup } = makeConfigDir();
afterAll(cleanup);

const problemsOf = (text: string) => configErrorOf(text, dir).problems;
/** VALID_CONFIG with one line replaced (the first line containing `match`); '' removes it. */
const editLine = (match: string, replacement: string): string => {
  const lines = VALID_CONFIG.split('\n');
  const index = lines.findIndex((l) => l.includes(match));
  if (index < 0) throw new Error(`no line with ${match}`);
  lines[index] = replacement;
  return lines.join('\n');
};
const withTopLevel = (line: string): string => `${VALID_CONFIG}\n${line}\n`;
const withHypervisorKey = (line: string): string =>
  VALID_CONFIG.replace('    ignore_vms = ["old"]', `    ignore_vms = ["old"]\n    ${line}`);
const withPlan = (body: string): string => `${VALID_CONFIG}\nplan "p" {\n${body}\n}\n`;

describe('a valid config', () => {
  it('loads, with defaults for what it leaves out', () => {
    const config = parseIn(VALID_CONFIG, dir);
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8000 });
    expect(config.trustedProxies).toEqual(['127.0.0.1', '10.0.0.0/8']);
    expect(config.hypervisors[0]?.ignoreVms).toEqual(['old']);
    const minimal = parseIn('session_secret = "test-secret-0123456789abcdef0123456789"\n', dir);
    expect(minimal).toMatchObject({
      listen: { host: '127.0.0.1', port: 8000 },
      staticCacheSeconds: 0,
      debug: false,
      hypervisors: [],
      plans: [],
    });
  });
});

describe('syntax errors', () => {
  it('stop there: one problem with FILE:LINE:COL and the offending line', () => {
    const problems = problemsOf('session_secret = ""\nplan "x" {\n  memory = = 5\n}\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe(`${join(dir, 'vmango.conf')}:3:12`);
    expect(problems[0]?.message).toMatch(/^Invalid expression; .*\n {4} {2}memory = = 5\n {4} {11}\^$/);
  });

  it('ConfigError.message lists every problem as path: message', () => {
    const error = configErrorOf('listen = "nope"\ndebug = "yes"\n', dir);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message.split('\n')).toEqual(error.problems.map((p) => `${p.path}: ${p.message}`));
    expect(error.problems.map((p) => p.path)).toEqual(['listen', 'session_secret', 'debug']);
  });
});

describe('session_secret', () => {
  it.each([
    ['missing', ''],
    ['empty', 'session_secret = ""'],
    ['null', 'session_secret = null'],
  ])('%s: refused with how to make one', (_, line) => {
    const problems = problemsOf(editLine('session_secret', line));
    expect(problems).toEqual([
      { path: 'session_secret', message: expect.stringContaining('`head -c 32 /dev/urandom | base64`') },
    ]);
  });
  it('must be a string', () => {
    expect(problemsOf(editLine('session_secret', 'session_secret = 42'))).toEqual([
      { path: 'session_secret', message: expect.stringMatching(/^must be a quoted string .*got the number 42$/) },
    ]);
  });
});

describe('listen', () => {
  it.each([
    ['[::1]:8080', { host: '::1', port: 8080 }],
    [':80', { host: '', port: 80 }],
    ['localhost:65535', { host: 'localhost', port: 65535 }],
    ['0.0.0.0:1', { host: '0.0.0.0', port: 1 }],
  ])('accepts %s', (value, expected) => {
    expect(parseIn(editLine('listen', `listen = "${value}"`), dir).listen).toEqual(expected);
  });
  it.each([
    ['127.0.0.1', /the port is missing/],
    ['127.0.0.1:0', /port 0 is out of range/],
    ['127.0.0.1:65536', /port 65536 is out of range/],
    ['127.0.0.1:http', /port "http" is not a number/],
    ['::1:8000', /an IPv6 address must be written in brackets/],
    ['[127.0.0.1]:80', /"127.0.0.1" is not an IPv6 address/],
    ['bad_host!:80', /is not an IP address or host name/],
    ['300.1.1.1:80', /"300.1.1.1" is not an IP address or host name/],
    ['', /must not be empty/],
  ])('refuses %j', (value, why) => {
    const problems = problemsOf(editLine('listen', `listen = "${value}"`));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('listen');
    expect(problems[0]?.message).toMatch(why);
  });
});

describe('static_cache', () => {
  it.each([
    ['"1d"', 86_400],
    ['"1h30m"', 5400],
    ['"0"', 0],
    ['0', 0],
    ['"1.5s"', 1],
  ])('%s = %d s', (value, seconds) => {
    expect(parseIn(editLine('static_cache', `static_cache = ${value}`), dir).staticCacheSeconds).toBe(seconds);
  });
  it('refuses a bad duration, naming the allowed forms', () => {
    expect(problemsOf(editLine('static_cache', 'static_cache = "1 day"'))).toEqual([
      {
        path: 'static_cache',
        message: expect.stringMatching(/^invalid duration "1 day".*allowed: "0" or a sequence of number\+unit/),
      },
    ]);
    expect(problemsOf(editLine('static_cache', 'static_cache = 60'))[0]?.message).toMatch(/must be a quoted duration/);
  });
});

describe('debug', () => {
  it('must be a boolean', () => {
    expect(problemsOf(editLine('debug', 'debug = "true"'))).toEqual([
      { path: 'debug', message: 'must be true or false (unquoted), got the string "true"' },
    ]);
  });
});

describe('trusted_proxies', () => {
  it('accepts IPv6 addresses and CIDR blocks', () => {
    expect(
      parseIn(editLine('trusted_proxies', 'trusted_proxies = ["::1", "fd00::/8", "192.168.0.0/16"]'), dir).trustedProxies,
    ).toEqual(['::1', 'fd00::/8', '192.168.0.0/16']);
  });
  it.each([
    ['["proxy.local"]', 'trusted_proxies[0]', /"proxy.local" is not an IP address or CIDR block/],
    ['["127.0.0.1", "10.0.0.0/33"]', 'trusted_proxies[1]', /invalid prefix length "33" \(0-32 for IPv4\)/],
    ['"127.0.0.1"', 'trusted_proxies', /must be a list of quoted strings/],
    ['[1]', 'trusted_proxies[0]', /must be a non-empty plain quoted string/],
  ])('refuses %s', (value, path, why) => {
    const problems = problemsOf(editLine('trusted_proxies', `trusted_proxies = ${value}`));
    expect(problems).toEqual([{ path, message: expect.stringMatching(why) }]);
  });
});

describe('ssl_key and ssl_cert', () => {
  it('are resolved against the config directory', () => {
    const config = parseIn(withTopLevel('ssl_key = "test_ssl_key.pem"\nssl_cert = "test_ssl_cert.pem"'), dir);
    expect(config.tls).toEqual({ keyPath: join(dir, 'test_ssl_key.pem'), certPath: join(dir, 'test_ssl_cert.pem') });
  });
  it('must be given together', () => {
    expect(problemsOf(withTopLevel('ssl_key = "test_ssl_key.pem"'))).toEqual([
      { path: 'ssl_cert', message: expect.stringMatching(/^required because ssl_key is set: set both/) },
    ]);
  });
  it('must be readable files', () => {
    const problems = problemsOf(withTopLevel('ssl_key = "missing.pem"\nssl_cert = "/"'));
    expect(problems).toEqual([
      { path: 'ssl_key', message: expect.stringMatching(new RegExp(`^cannot read ${join(dir, 'missing.pem')}: no such file`)) },
      { path: 'ssl_cert', message: expect.stringMatching(/^cannot read \/: it is a directory, not a file/) },
    ]);
  });
});

describe('hypervisor', () => {
  it('reports every missing required key', () => {
    const problems = problemsOf('session_secret = "test-secret-0123456789abcdef0123456789"\nhypervisor "H" {\n  url = ""\n}\n');
    expect(problems.map((p) => p.path)).toEqual([
      'hypervisor.H.image_storage_pool',
      'hypervisor.H.root_storage_pool',
      'hypervisor.H.network',
      'hypervisor.H.vm_template',
      'hypervisor.H.volume_template',
    ]);
    for (const p of problems) expect(p.message).toMatch(/^required: set it to /);
  });

  it('reports a missing template file with its resolved path', () => {
    const problems = problemsOf(VALID_CONFIG.replace('"vm.xml.in"', '"nope.xml.in"'));
    expect(problems).toEqual([
      { path: 'hypervisor.LOCAL1.vm_template', message: `cannot read template file ${join(dir, 'nope.xml.in')}: no such file` },
    ]);
  });

  it('reports a template that does not parse, with its file and line', () => {
    writeFileSync(join(dir, 'broken.xml.in'), '<volume>\n  <name>{{ .Machine.Name }</name>\n</volume>\n');
    const problems = problemsOf(VALID_CONFIG.replace('"volume.xml.in"', '"broken.xml.in"'));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('hypervisor.LOCAL1.volume_template');
    expect(problems[0]?.message).toMatch(new RegExp(`^${join(dir, 'broken.xml.in')}:2(:\\d+)?: invalid Go template: `));
  });

  it('accepts the documented spelling ignored_vms, but not both spellings', () => {
    const documented = VALID_CONFIG.replace('ignore_vms = ["old"]', 'ignored_vms = ["a", "b"]');
    expect(parseIn(documented, dir).hypervisors[0]?.ignoreVms).toEqual(['a', 'b']);
    expect(problemsOf(withHypervisorKey('ignored_vms = []'))).toEqual([
      {
        path: 'hypervisor.LOCAL1.ignored_vms',
        message: expect.stringMatching(/both ignore_vms and ignored_vms are set.*use only one/),
      },
    ]);
  });

  it('reads the new keys', () => {
    const text = withHypervisorKey(
      'config_drive_format = "nocloud"\n    call_timeout = "30s"\n    long_call_timeout = "1h"\n    keepalive_interval = 10\n    keepalive_count = 6',
    );
    expect(parseIn(text, dir).hypervisors[0]).toMatchObject({
      configDriveFormat: 'nocloud',
      callTimeoutMs: 30_000,
      longCallTimeoutMs: 3_600_000,
      keepaliveInterval: 10,
      keepaliveCount: 6,
    });
  });

  it.each([
    ['config_drive_format = "iso"', 'config_drive_format', /^must be "openstack" or "nocloud", got "iso"$/],
    ['call_timeout = "0"', 'call_timeout', /^must be longer than 0/],
    ['long_call_timeout = "ten minutes"', 'long_call_timeout', /^invalid duration "ten minutes"/],
    ['keepalive_interval = 0', 'keepalive_interval', /^must be a whole number from 1 to 3600 .*got the number 0$/],
    ['keepalive_count = 1.5', 'keepalive_count', /^must be a whole number from 1 to 100 .*got the number 1.5$/],
    ['keepalive_count = "3"', 'keepalive_count', /got the string "3"$/],
    ['url = "not a uri"', 'url', /^invalid libvirt URI "not a uri": allowed is a libvirt connection URI/],
    ['network = vmango', 'network', /^expressions, variables and \$\{…\}\/%\{…\} interpolation are not supported/],
  ])('refuses %s', (line, key, why) => {
    const text =
      line.startsWith('url') || line.startsWith('network')
        ? VALID_CONFIG.replace(new RegExp(`    ${key} = .*`), `    ${line}`)
        : withHypervisorKey(line);
    expect(problemsOf(text)).toEqual([{ path: `hypervisor.LOCAL1.${key}`, message: expect.stringMatching(why) }]);
  });
});

describe('plan', () => {
  it('stores bytes too', () => {
    const plan = parseIn(withPlan('memory = 2048\ncpus = 4\ndisk_size = 40'), dir).plans.find((p) => p.name === 'p');
    expect(plan).toEqual({
      name: 'p',
      memoryMiB: 2048,
      cpus: 4,
      diskSizeGiB: 40,
      memoryBytes: 2048 * 2 ** 20,
      diskSizeBytes: 40 * 2 ** 30,
    });
  });
  it.each([
    ['memory = 0', 'memory', 'the number 0'],
    ['memory = -512', 'memory', 'the number -512'],
    ['cpus = 1.5', 'cpus', 'the number 1.5'],
    ['disk_size = "5"', 'disk_size', 'the string "5"'],
    ['disk_size = 512 * 2', 'disk_size', 'the string "${512 * 2}"'],
  ])('refuses %s, saying what is allowed', (line, key, got) => {
    const [name] = line.split(' ');
    const body = ['memory = 512', 'cpus = 1', 'disk_size = 5'].map((l) => (l.startsWith(`${name} `) ? line : l)).join('\n');
    const problems = problemsOf(withPlan(body));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe(`plan.p.${key}`);
    expect(problems[0]?.message).toMatch(/^must be a whole number from 1 to \d+ \(.*\), without quotes, got /);
    expect(problems[0]?.message.endsWith(got)).toBe(true);
  });
  it('requires all three keys', () => {
    expect(problemsOf(withPlan('')).map((p) => p.path)).toEqual(['plan.p.memory', 'plan.p.cpus', 'plan.p.disk_size']);
  });
});

describe('user', () => {
  it('accepts $2a$, $2b$ and $2y$ hashes', () => {
    for (const prefix of ['$2a$', '$2b$', '$2y$']) {
      const hash = ADMIN_HASH.replace('$2a$', prefix);
      expect(
        parseIn(`session_secret = "test-secret-0123456789abcdef0123456789"\nuser "u" {\n  password = "${hash}"\n}\n`, dir)
          .users[0]?.passwordHash,
      ).toBe(hash);
    }
  });
  it.each([
    'secret',
    ADMIN_HASH.replace('$10$', '$03$'),
    ADMIN_HASH.replace('$10$', '$32$'),
    ADMIN_HASH.slice(0, -1),
    '$2x$10$' + ADMIN_HASH.slice(7),
  ])('refuses %j and says to use vmango genpw', (password) => {
    expect(
      problemsOf(`session_secret = "test-secret-0123456789abcdef0123456789"\nuser "u" {\n  password = "${password}"\n}\n`),
    ).toEqual([{ path: 'user.u.password', message: expect.stringContaining('generate one with `vmango genpw`') }]);
  });
});

describe('ssh_key', () => {
  it.each([TEST_ED25519_KEY, TEST_ECDSA_KEY])('accepts %s', (line) => {
    expect(
      parseIn(`session_secret = "test-secret-0123456789abcdef0123456789"\nssh_key "k" {\n  public = "${line}"\n}\n`, dir).sshKeys,
    ).toEqual([{ name: 'k', public: line }]);
  });
  it.each([
    ['ssh-foo AAAA', /^unknown key type "ssh-foo"/],
    ['ssh-ed25519', /^the base64 key data after "ssh-ed25519" is missing/],
    ['ssh-ed25519 not*base64', /^the key data is not valid base64/],
    [TEST_ED25519_KEY.replace('ssh-ed25519', 'ssh-rsa'), /^the key data is a "ssh-ed25519" key but the line says "ssh-rsa"/],
    ['ssh-rsa AAAA', /^the key data is truncated/],
  ])('refuses %j', (line, why) => {
    expect(
      problemsOf(`session_secret = "test-secret-0123456789abcdef0123456789"\nssh_key "k" {\n  public = "${line}"\n}\n`),
    ).toEqual([{ path: 'ssh_key.k.public', message: expect.stringMatching(why) }]);
  });
});

describe('block names', () => {
  it('duplicates are errors', () => {
    expect(problemsOf(withPlan('memory = 1\ncpus = 1\ndisk_size = 1').replace('plan "p"', 'plan "small"'))).toEqual([
      { path: 'plan.small', message: "duplicated plan name 'small': each plan must have a different name" },
    ]);
    expect(problemsOf(`${VALID_CONFIG}\nhypervisor "LOCAL1" {\n}\n`)[0]?.message).toMatch(/^duplicated hypervisor name 'LOCAL1'/);
  });
  it('every problem inside duplicated blocks is reported with the duplicate', () => {
    const text =
      'session_secret = "test-secret-0123456789abcdef0123456789"\nplan "a" {\n  memory = -5\n  cpus = 0\n  disk_size = 1\n}\nplan "a" {\n  memory = 1\n  cpus = 1\n  disk_size = 1\n}\n';
    const problems = problemsOf(text);
    expect(problems).toContainEqual({
      path: 'plan.a',
      message: "duplicated plan name 'a': each plan must have a different name",
    });
    expect(problems).toContainEqual({ path: 'plan.a.memory', message: expect.stringMatching(/^must be a whole number from 1/) });
    expect(problems).toContainEqual({ path: 'plan.a.cpus', message: expect.stringMatching(/^must be a whole number from 1/) });
  });
  it('a missing label is an error', () => {
    expect(problemsOf('session_secret = "test-secret-0123456789abcdef0123456789"\nuser {\n  password = "x"\n}\n')).toEqual([
      { path: 'user', message: 'a user block needs a name label: write user "NAME" { … }' },
    ]);
  });
  it('two labels are an error', () => {
    expect(problemsOf('session_secret = "test-secret-0123456789abcdef0123456789"\nssh_key "a" "b" {\n}\n')).toEqual([
      { path: 'ssh_key.a', message: 'a ssh_key block takes exactly one label, its name: write ssh_key "NAME" { … }' },
    ]);
  });
  it('a block written as a value is an error', () => {
    expect(problemsOf('session_secret = "test-secret-0123456789abcdef0123456789"\nplan = "small"\n')).toEqual([
      { path: 'plan', message: 'must be written as blocks, plan "NAME" { … }, got the string "small"' },
    ]);
  });
  it('names with slashes or control characters are refused', () => {
    expect(problemsOf('session_secret = "test-secret-0123456789abcdef0123456789"\nplan "a/b" {\n}\n')[0]).toEqual({
      path: 'plan.a/b',
      message: expect.stringMatching(/^plan invalid name "a\/b": allowed is 1 to 128 characters/),
    });
  });
});

describe('unknown keys', () => {
  it('suggest the closest allowed key and list the allowed ones', () => {
    const problems = problemsOf(`${VALID_CONFIG}\nsesion_secret = "x"\n`);
    expect(problems).toEqual([
      {
        path: 'sesion_secret',
        message:
          "unknown key 'sesion_secret'; did you mean 'session_secret'? (allowed keys: listen, session_secret, static_cache, debug, trusted_proxies, allowed_hosts, session_idle_timeout, session_lifetime, console_idle_timeout, state_dir, audit_log, ssl_key, ssl_cert, hypervisor, plan, user, role, token, webhook, ssh_key)",
      },
    ]);
  });
  it('are found inside blocks too', () => {
    const problems = problemsOf(withHypervisorKey('netwrok = "x"\n    frobnicate = 1'));
    expect(problems.map((p) => [p.path, p.message.split(' (allowed')[0]])).toEqual([
      ['hypervisor.LOCAL1.frobnicate', "unknown key 'frobnicate'"],
      ['hypervisor.LOCAL1.netwrok', "unknown key 'netwrok'; did you mean 'network'?"],
    ]);
  });
});

describe('loadConfig', () => {
  it('reports a file it cannot read', () => {
    expect(() => loadConfig(join(dir, 'absent.conf'))).toThrow(
      new ConfigError([{ path: join(dir, 'absent.conf'), message: `cannot read ${join(dir, 'absent.conf')}: no such file` }]),
    );
  });
  it('reports a directory', () => {
    expect(() => loadConfig(dir)).toThrow(/it is a directory, not a file/);
  });
  it('reports every problem of a file at once', () => {
    const path = join(dir, 'many.conf');
    writeFileSync(path, 'listen = ":0"\nstatic_cache = "1y"\nplan "a" {\n  memory = 0\n}\n');
    chmodSync(path, 0o644);
    let error: unknown;
    try {
      loadConfig(path);
    } catch (err) {
      error = err;
    }
    expect((error as ConfigError).problems.map((p) => p.path)).toEqual([
      'listen',
      'session_secret',
      'static_cache',
      'plan.a.memory',
      'plan.a.cpus',
      'plan.a.disk_size',
    ]);
  });
  it('parseConfig refuses text that is not a string with a ConfigError', () => {
    expect(() => parseConfig(42 as unknown as string, { filename: 'x.conf', baseDir: dir })).toThrow(ConfigError);
  });
});
