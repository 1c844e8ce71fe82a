import { describe, expect, it } from 'vitest';
import bcrypt from 'bcryptjs';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import { runGenpw } from '../../../server/app/cli/genpw.js';
import { hashPassword } from '../../../server/services/auth/password-hash.js';

function fakeIo(stdinText?: string) {
  const stdin = new PassThrough() as unknown as NodeJS.ReadStream & PassThrough;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  if (stdinText !== undefined) stdin.end(stdinText);
  return {
    io: { stdin, stdout: stdout as unknown as NodeJS.WriteStream, stderr: stderr as unknown as NodeJS.WriteStream },
    out: () => out,
    err: () => err,
  };
}

describe('vmango genpw', () => {
  it('hashes with cost 10 in the $2a$ form vmango 0.6 wrote, and the hash verifies', () => {
    const hash = hashPassword('plainsecret');
    expect(hash).toMatch(/^\$2a\$10\$[./A-Za-z0-9]{53}$/);
    expect(bcrypt.compareSync('plainsecret', hash)).toBe(true);
    expect(bcrypt.compareSync('other', hash)).toBe(false);
  });

  it('prints the hash of its argument followed by a newline', async () => {
    const t = fakeIo();
    expect(await runGenpw(['s3cret'], t.io)).toBe(0);
    expect(t.out()).toMatch(/^\$2a\$10\$.{53}\n$/);
    expect(bcrypt.compareSync('s3cret', t.out().trim())).toBe(true);
  });

  it('reads one line from a pipe when no argument is given', async () => {
    const t = fakeIo('from-pipe\nignored second line\n');
    expect(await runGenpw([], t.io)).toBe(0);
    expect(bcrypt.compareSync('from-pipe', t.out().trim())).toBe(true);
  });

  it('refuses an empty password and one bcrypt would truncate', async () => {
    const empty = fakeIo('\n');
    expect(await runGenpw([], empty.io)).toBe(1);
    expect(empty.err()).toMatch(/the password is empty/);
    const long = fakeIo();
    expect(await runGenpw(['x'.repeat(73)], long.io)).toBe(1);
    expect(long.err()).toMatch(/longer than 72 bytes/);
  });

  it('prints usage for too many arguments (exit 2) and for -h (exit 0)', async () => {
    const many = fakeIo();
    expect(await runGenpw(['a', 'b'], many.io)).toBe(2);
    expect(many.err()).toMatch(/Usage: vmango genpw \[PASSWORD\]/);
    const help = fakeIo();
    expect(await runGenpw(['-h'], help.io)).toBe(0);
  });
});

const goChecker = fileURLToPath(new URL('../../../tools/bcrypt-check/main.go', import.meta.url));
const goCryptoSource = '/usr/share/gocode/src/golang.org/x/crypto/bcrypt';
const goAvailable = spawnSync('go', ['version']).status === 0 && existsSync(goCryptoSource);

describe.skipIf(!goAvailable)('bcrypt hashes cross between vmango and Go (needs go and golang-golang-x-crypto-dev)', () => {
  const goEnv = { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: '/tmp/vmango-gocache', GOFLAGS: '' };
  const runGo = (...args: string[]) => spawnSync('go', ['run', goChecker, ...args], { env: goEnv, encoding: 'utf8' });

  it('Go accepts our hash, and rejects a wrong password', () => {
    const hash = hashPassword('cross-check');
    expect(runGo('verify', hash, 'cross-check').status).toBe(0);
    expect(runGo('verify', hash, 'wrong').status).toBe(1);
  }, 120_000);

  it('we accept a hash Go made', () => {
    const goHash = execFileSync('go', ['run', goChecker, 'hash', 'made-in-go'], { env: goEnv, encoding: 'utf8' }).trim();
    expect(goHash).toMatch(/^\$2a\$10\$/);
    expect(bcrypt.compareSync('made-in-go', goHash)).toBe(true);
  }, 120_000);
});
if (!goAvailable)
  console.warn(
    'skipping the Go bcrypt cross-check: `go` or golang-golang-x-crypto-dev is not installed (scripts/setup.sh test installs both)',
  );
