import { afterEach, describe, expect, it } from 'vitest';

import {
  ErrorCode,
  LibvirtError,
  openConnection,
  trimNativeMemory,
  tuneNativeMalloc,
  type Connection,
} from '../../server/libvirt/index.js';
import { FIXTURE_URI } from './test-driver.js';

describe('openConnection over the test driver', () => {
  let conn: Connection | undefined;
  afterEach(async () => {
    await conn?.close();
    conn = undefined;
  });

  it('opens and reports host facts', async () => {
    conn = await openConnection(FIXTURE_URI);
    expect(conn.isOpen).toBe(true);
    expect((await conn.getHostname()).length).toBeGreaterThan(0);
    const version = await conn.getVersion();
    expect(version.libVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(version.libVersionNumber).toBeGreaterThanOrEqual(9_000_000);
    expect(version.hypervisorType).toBe('TEST');
    const node = await conn.getNodeInfo();
    expect(node.model).toBe('vmango-test-cpu');
    expect(node.memoryKiB).toBe(8388608);
    expect(node.mhz).toBe(2400);
    expect(await conn.getCapabilities()).toContain('<capabilities>');
  });

  it('opens test:///default', async () => {
    conn = await openConnection('test:///default');
    const domains = await conn.listAllDomains();
    expect(domains.map((d) => d.name)).toEqual(['test']);
  });

  it('rejects calls after close with CONNECTION_CLOSED, and close is idempotent', async () => {
    conn = await openConnection(FIXTURE_URI);
    await conn.close();
    expect(conn.isOpen).toBe(false);
    const err = await conn.getHostname().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    expect((err as LibvirtError).code).toBe(ErrorCode.CONNECTION_CLOSED);
    expect((err as LibvirtError).codeName).toBe('CONNECTION_CLOSED');
    await conn.close();
  });

  it("fails to open a missing fixture with libvirt's error", async () => {
    const err = await openConnection('test:///nonexistent/node.xml').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LibvirtError);
    const error = err as LibvirtError;
    expect(error.code).toBeGreaterThan(0);
    expect(error.message).toMatch(/nonexistent/);
    expect(error.call).toBe('open');
  });

  it('fails to open an unknown driver URI', async () => {
    const err = (await openConnection('nosuchdriver:///system').catch((e: unknown) => e)) as LibvirtError;
    expect(err).toBeInstanceOf(LibvirtError);
    // No driver claims the scheme, so the remote driver tries libvirtd's socket and fails.
    expect(err.codeName).toMatch(/NO_CONNECT|NO_SUPPORT|SYSTEM_ERROR/);
    expect(err.isConnectionError || err.codeName === 'NO_SUPPORT').toBe(true);
  });

  it('rejects bad options with INVALID_ARG naming the option', async () => {
    await expect(openConnection(FIXTURE_URI, { callTimeoutMs: -5 })).rejects.toThrow(
      /callTimeoutMs must be a non-negative integer/,
    );
    await expect(openConnection('')).rejects.toThrow(/uri must be a non-empty libvirt URI/);
    conn = await openConnection(FIXTURE_URI);
    await expect(conn.getHostname({ timeoutMs: 1.5 })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARG });
  });

  it('serves 200 concurrent calls on one connection', async () => {
    conn = await openConnection(FIXTURE_URI);
    const c = conn;
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? c.getHostname() : c.lookupDomainByName('one'))),
    );
    expect(results).toHaveLength(200);
    expect(c.pendingCalls).toBe(0);
  });
});

describe('trimNativeMemory and tuneNativeMalloc', () => {
  it('hands freed memory of the threads back without disturbing a connection', async () => {
    const conn = await openConnection(FIXTURE_URI);
    try {
      const before = await conn.listAllDomains({ withXml: true });
      expect(typeof trimNativeMemory()).toBe('boolean');
      expect(typeof tuneNativeMalloc({ maxArenas: 16, thresholdBytes: 128 * 1024 })).toBe('boolean');
      expect(() => tuneNativeMalloc({ maxArenas: 0, thresholdBytes: 128 * 1024 })).toThrow(RangeError);
      expect(() => tuneNativeMalloc({ maxArenas: 2, thresholdBytes: 0 })).toThrow(RangeError);
      expect((await conn.listAllDomains({ withXml: true })).map((d) => d.xml)).toEqual(before.map((d) => d.xml));
    } finally {
      await conn.close();
    }
  });
});
