/**
 * The guest agent binding (server/libvirt/agent.ts, native/domain_agent.cc) on libvirt's test
 * driver, which has no agent: the calls it lacks fail with a clear NO_SUPPORT naming the libvirt
 * function, the ones it fakes (freeze, thaw, password, reboot) answer; arguments are checked on
 * both sides; one domain's calls wait their turn, and past MAX_WAITING_PER_DOMAIN are refused.
 * The real agent: test/system/guest/agent.harness.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ErrorCode,
  LibvirtError,
  MAX_WAITING_PER_DOMAIN,
  openConnection,
  type Connection,
  type Domain,
} from '../../server/libvirt/index.js';
import { loadNative } from '../../server/libvirt/native.js';
import { FIXTURE_URI } from './test-driver.js';

async function failure(promise: Promise<unknown>): Promise<LibvirtError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof LibvirtError)) throw new Error(`expected a LibvirtError, got ${String(err)}`);
  return err;
}

describe('the guest agent binding on the test driver', () => {
  let conn: Connection;
  let one: Domain;
  beforeAll(async () => {
    conn = await openConnection(FIXTURE_URI);
    one = await conn.lookupDomainByName('one');
  });
  afterAll(async () => {
    await conn?.close();
  });

  it('calls the driver lacks fail with NO_SUPPORT naming the libvirt function', async () => {
    const agent = one.agent();
    const cases: [Promise<unknown>, string][] = [
      [agent.ping(), 'virDomainQemuAgentCommand'],
      [agent.info(), 'virDomainQemuAgentCommand'],
      [agent.command({ execute: 'guest-get-time' }), 'virDomainQemuAgentCommand'],
      [agent.guestInfo(), 'virDomainGetGuestInfo'],
      [agent.authorizedSshKeys('root'), 'virDomainAuthorizedSSHKeysGet'],
      [agent.setAuthorizedSshKeys('root', ['ssh-ed25519 AAAA x'], { mode: 'append' }), 'virDomainAuthorizedSSHKeysSet'],
    ];
    for (const [call, fn] of cases) {
      const err = await failure(call);
      expect(err.code, err.message).toBe(ErrorCode.NO_SUPPORT);
      expect(err.message).toContain(fn);
    }
  });

  it('calls the driver fakes answer as it says', async () => {
    const agent = one.agent();
    expect(await agent.fsFreeze()).toBe(2);
    expect(await agent.fsThaw()).toBe(2);
    expect(await agent.fsFreeze(['/'])).toBe(1);
    expect(await agent.fsThaw(['/'])).toBe(1);
    await expect(agent.setUserPassword('root', 'secret')).resolves.toBeUndefined();
    await expect(agent.fsTrim({ mountPoint: '/' })).resolves.toBeUndefined();
    await expect(agent.reboot()).resolves.toBeUndefined();
    // Its shutdown knows no GUEST_AGENT flag: the flag did reach libvirt.
    const shutdown = await failure(agent.shutdown());
    expect(shutdown.message).toMatch(/unsupported flags \(0x2\)/);
    const addresses = await agent.interfaceAddresses();
    expect(addresses[0]).toMatchObject({ name: expect.any(String), addrs: expect.any(Array) });
    // Domain.interfaceAddresses('agent') is the same call, with the agent's turn and deadline rules.
    expect(await one.interfaceAddresses('agent')).toEqual(addresses);
    expect((await failure(one.interfaceAddresses('agent', { timeoutMs: 500 }))).code).toBe(ErrorCode.INVALID_ARG);
  });

  it('checks arguments before anything is queued', async () => {
    const agent = one.agent();
    expect((await failure(agent.ping({ timeoutMs: 999 }))).message).toMatch(/timeoutMs must be whole milliseconds from 1000/);
    expect((await failure(agent.ping({ timeoutMs: 1.5e3 + 0.5 }))).code).toBe(ErrorCode.INVALID_ARG);
    expect((await failure(agent.command({ execute: 'shutdown -h now' }))).message).toMatch(/guest-… name/);
    // The native side checks too (a caller that skips the typed wrapper).
    const native = loadNative();
    const nativeConn = (conn as unknown as { native: Parameters<typeof native.domainAgentCommand>[0] }).native;
    expect(() => native.domainAgentCommand(nativeConn, 999_001, one.handle, '{}', 0, 0)).toThrow(
      /timeoutSec: expected whole seconds from 1 to 3600/,
    );
    expect(() => native.domainFsFreeze(nativeConn, 999_002, one.handle, 'x' as unknown as string[], 0, 5)).toThrow(
      /mountpoints: expected an array of strings/,
    );
    expect(() =>
      native.domainAuthorizedSshKeysSet(nativeConn, 999_003, one.handle, 'root', [1 as unknown as string], 0, 5),
    ).toThrow(/keys: expected an array of strings/);
    expect(() => native.domainInterfaceAddresses(nativeConn, 999_004, one.handle, 1, 3601)).toThrow(
      /timeoutSec: expected whole seconds from 0 to 3600/,
    );
  });

  it('one call at a time per domain; past the waiting limit, calls are refused at once', async () => {
    const agent = one.agent();
    const calls = Array.from({ length: MAX_WAITING_PER_DOMAIN + 4 }, () => failure(agent.ping()));
    const errors = await Promise.all(calls);
    const refused = errors.filter((e) => e.code === ErrorCode.OPERATION_FAILED);
    expect(refused).toHaveLength(3);
    expect(refused[0]!.message).toBe(
      `domainAgentCommand on one: ${MAX_WAITING_PER_DOMAIN} guest agent calls are already waiting for this machine`,
    );
    expect(errors.filter((e) => e.code === ErrorCode.NO_SUPPORT)).toHaveLength(MAX_WAITING_PER_DOMAIN + 1);
    // Another domain is not held up by this one's queue, and afterwards this one takes calls again.
    const other = (await conn.listAllDomains()).find((d) => d.name !== 'one')?.domain;
    if (other) expect((await failure(other.agent().ping())).code).toBe(ErrorCode.NO_SUPPORT);
    expect((await failure(agent.ping())).code).toBe(ErrorCode.NO_SUPPORT);
  });

  it('a call refused before it reaches the addon (connection closed) gives the next one its turn at once', async () => {
    const closing = await openConnection(FIXTURE_URI);
    const domain = await closing.lookupDomainByName('one');
    await closing.close();
    const started = performance.now();
    for (let i = 0; i < 3; i++) expect((await failure(domain.agent().ping())).code).toBe(ErrorCode.CONNECTION_CLOSED);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
