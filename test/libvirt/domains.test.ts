import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  AffectFlags,
  DomainXmlFlags,
  ErrorCode,
  LibvirtError,
  ListDomainsFlags,
  openConnection,
  type Connection,
  type DomainEvent,
} from '../../server/libvirt/index.js';
import { DOMAIN_ONE_UUID, FIXTURE_URI, VMANGO_NS, testDomainXml } from './test-driver.js';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof LibvirtError)) throw new Error(`expected a LibvirtError, got ${String(err)}`);
  return err.codeName;
}

function waitForEvent(conn: Connection, match: (e: DomainEvent) => boolean, timeoutMs = 5000): Promise<DomainEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      conn.off('domainEvent', onEvent);
      reject(new Error('domain event did not arrive'));
    }, timeoutMs);
    const onEvent = (e: DomainEvent): void => {
      if (!match(e)) return;
      clearTimeout(timer);
      conn.off('domainEvent', onEvent);
      resolve(e);
    };
    conn.on('domainEvent', onEvent);
  });
}

describe('domains over the test driver', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await openConnection(FIXTURE_URI);
  });
  afterAll(async () => {
    await conn.close();
  });

  it('lists every domain with state and XML in one call', async () => {
    const list = await conn.listAllDomains();
    const one = list.find((d) => d.name === 'one');
    expect(one).toBeDefined();
    expect(one?.uuid).toBe(DOMAIN_ONE_UUID);
    expect(one?.state).toBe('running');
    expect(one?.id).toBeGreaterThan(0);
    expect(one?.xml).toContain('<vmango:md');
    expect(one?.domain.name).toBe('one');
    const withoutXml = await conn.listAllDomains({ withXml: false, flags: ListDomainsFlags.ACTIVE });
    expect(withoutXml.every((d) => d.xml === '')).toBe(true);
  });

  it('looks domains up by name and by UUID with or without dashes', async () => {
    const byName = await conn.lookupDomainByName('one');
    expect(byName.uuid).toBe(DOMAIN_ONE_UUID);
    const dashed = await conn.lookupDomainByUuid(DOMAIN_ONE_UUID.toUpperCase());
    expect(dashed.name).toBe('one');
    const plain = await conn.lookupDomainByUuid(DOMAIN_ONE_UUID.replace(/-/g, ''));
    expect(plain.name).toBe('one');
  });

  it('reports lookup failures with named codes', async () => {
    expect(await codeOf(conn.lookupDomainByName('nonexist'))).toBe('NO_DOMAIN');
    expect(await codeOf(conn.lookupDomainByUuid('00000000-0000-0000-0000-000000000000'))).toBe('NO_DOMAIN');
    const err = (await conn.lookupDomainByUuid('nonexist').catch((e: unknown) => e)) as LibvirtError;
    expect(err.code).toBe(ErrorCode.INVALID_ARG);
    expect(err.message).toMatch(/invalid UUID "nonexist": expected 32 hex digits/);
  });

  it('reads XML, info and state', async () => {
    const one = await conn.lookupDomainByName('one');
    const xml = await one.getXmlDesc({ flags: DomainXmlFlags.INACTIVE });
    expect(xml).toContain('<name>one</name>');
    const info = await one.getInfo();
    expect(info).toMatchObject({ state: 'running', memoryKiB: 524288, vcpus: 1 });
    expect(await one.getState()).toMatchObject({ state: 'running' });
    expect(await one.isActive()).toBe(true);
  });

  it('defines, starts, suspends, resumes, stops and undefines with lifecycle events', async () => {
    await conn.subscribeDomainEvents();
    const events: DomainEvent[] = [];
    const collect = (e: DomainEvent): void => {
      if (e.domainName === 'lifecycle-vm') events.push(e);
    };
    conn.on('domainEvent', collect);
    try {
      const defined = waitForEvent(conn, (e) => e.domainName === 'lifecycle-vm' && e.event === 'defined');
      const domain = await conn.defineDomain(testDomainXml('lifecycle-vm'));
      expect(await defined).toMatchObject({ kind: 'lifecycle', event: 'defined', detail: 'added', domainUuid: domain.uuid });
      expect(await domain.getState()).toMatchObject({ state: 'shutoff' });

      const started = waitForEvent(conn, (e) => e.domainName === 'lifecycle-vm' && e.event === 'started');
      await domain.start();
      expect(await started).toMatchObject({ event: 'started', detail: 'booted' });
      await domain.suspend();
      expect((await domain.getState()).state).toBe('paused');
      await domain.resume();
      await domain.reboot();
      await domain.reset();
      const stopped = waitForEvent(conn, (e) => e.domainName === 'lifecycle-vm' && e.event === 'stopped');
      await domain.destroy();
      expect(await stopped).toMatchObject({ event: 'stopped', detail: 'destroyed' });
      expect(await codeOf(domain.destroy())).toBe('OPERATION_INVALID');

      const undefinedEvent = waitForEvent(conn, (e) => e.domainName === 'lifecycle-vm' && e.event === 'undefined');
      await domain.undefine();
      expect(await undefinedEvent).toMatchObject({ event: 'undefined', detail: 'removed' });
      expect(await codeOf(conn.lookupDomainByName('lifecycle-vm'))).toBe('NO_DOMAIN');
      const names = events.map((e) => e.event);
      expect(names).toEqual(expect.arrayContaining(['defined', 'started', 'suspended', 'resumed', 'stopped', 'undefined']));
    } finally {
      conn.off('domainEvent', collect);
    }
  });

  it("reports a name clash, an already active domain and bad XML with libvirt's codes", async () => {
    const clash = (await conn
      .defineDomain(testDomainXml('one', '11111111-2222-3333-4444-555555555555'))
      .catch((e: unknown) => e)) as LibvirtError;
    expect(clash.codeName).toBe('OPERATION_FAILED');
    expect(clash.message).toMatch(/domain 'one' already exists/);
    expect(await codeOf(conn.createDomain(testDomainXml('one', DOMAIN_ONE_UUID)))).toBe('OPERATION_INVALID');
    expect(await codeOf(conn.defineDomain('<domain><name>broken'))).toBe('XML_DETAIL');
    expect(await codeOf(conn.defineDomain('<domain type="test"><memory>1</memory></domain>'))).toMatch(
      /XML_ERROR|NO_NAME|INTERNAL_ERROR/,
    );
  });

  it('starts and destroys a transient domain', async () => {
    const transient = await conn.createDomain(testDomainXml('transient-vm'));
    expect(await transient.isActive()).toBe(true);
    await transient.destroy();
    expect(await codeOf(conn.lookupDomainByName('transient-vm'))).toBe('NO_DOMAIN');
  });

  it('round-trips metadata elements and emits metadata-change', async () => {
    const domain = await conn.defineDomain(testDomainXml('metadata-vm'));
    try {
      const changed = waitForEvent(conn, (e) => e.kind === 'metadata-change' && e.domainName === 'metadata-vm');
      await domain.setMetadata('<md><plan>small</plan><creator>admin</creator></md>', {
        type: 'element',
        key: 'vmango',
        uri: VMANGO_NS,
        flags: AffectFlags.CONFIG,
      });
      expect(await changed).toMatchObject({ metadataType: 'element', nsUri: VMANGO_NS });
      const stored = await domain.getMetadata({ type: 'element', uri: VMANGO_NS, flags: AffectFlags.CONFIG });
      expect(stored).toContain('<plan>small</plan>');
      expect(await domain.getXmlDesc()).toContain(`xmlns:vmango="${VMANGO_NS}"`);
      await domain.setMetadata('a description', { type: 'description', flags: AffectFlags.CONFIG });
      expect(await domain.getMetadata({ type: 'description', flags: AffectFlags.CONFIG })).toBe('a description');
      await domain.setMetadata(null, { type: 'element', key: 'vmango', uri: VMANGO_NS, flags: AffectFlags.CONFIG });
      expect(await codeOf(domain.getMetadata({ type: 'element', uri: VMANGO_NS, flags: AffectFlags.CONFIG }))).toBe(
        'NO_DOMAIN_METADATA',
      );
      await expect(domain.getMetadata({ type: 'bogus' as 'title' })).rejects.toThrow(/metadata type must be one of/);
    } finally {
      await domain.undefine();
    }
  });

  it('creates, lists, reverts and deletes snapshots', async () => {
    const domain = await conn.defineDomain(testDomainXml('snapshot-vm'));
    try {
      const snapshot = await domain.createSnapshot('<domainsnapshot><name>first</name></domainsnapshot>');
      expect(snapshot.name).toBe('first');
      expect(await snapshot.getXmlDesc()).toContain('<name>first</name>');
      await domain.createSnapshot('<domainsnapshot><name>second</name></domainsnapshot>');
      expect((await domain.listSnapshots()).map((s) => s.name).sort()).toEqual(['first', 'second']);
      const found = await domain.lookupSnapshot('first');
      await found.revert();
      await found.delete();
      expect(await codeOf(domain.lookupSnapshot('first'))).toBe('NO_DOMAIN_SNAPSHOT');
      const remaining = await domain.listSnapshots();
      for (const s of remaining) await s.delete();
    } finally {
      await domain.undefine({ flags: 2 });
    }
  });

  it('changes vCPUs and memory and reports stats', async () => {
    const domain = await conn.defineDomain(testDomainXml('resources-vm'));
    try {
      await domain.setVcpus(1, { flags: AffectFlags.CONFIG });
      await domain.setMemory(32768, { flags: AffectFlags.CONFIG });
      const info = await domain.getInfo();
      expect(info.vcpus).toBe(1);
      expect(info.memoryKiB).toBe(32768);
      const stats = await conn.getAllDomainStats();
      const mine = stats.find((s) => s.name === 'resources-vm');
      expect(mine?.state).toEqual({ state: 'shutoff', reason: expect.any(Number) as number });
      expect((await domain.getStats()).uuid).toBe(domain.uuid);
    } finally {
      await domain.undefine();
    }
  });

  it('attaches and detaches a device on the persistent config', async () => {
    const domain = await conn.defineDomain(testDomainXml('devices-vm'));
    const nic = "<interface type='network'><mac address='52:54:00:aa:bb:cc'/><source network='vmango-test'/></interface>";
    try {
      const attached = await domain.attachDevice(nic, { flags: AffectFlags.CONFIG }).then(
        () => true,
        (e: unknown) => (e as LibvirtError).codeName,
      );
      if (attached === true) {
        expect(await domain.getXmlDesc({ flags: DomainXmlFlags.INACTIVE })).toContain('52:54:00:aa:bb:cc');
        await domain.detachDevice(nic, { flags: AffectFlags.CONFIG });
        expect(await domain.getXmlDesc({ flags: DomainXmlFlags.INACTIVE })).not.toContain('52:54:00:aa:bb:cc');
      } else {
        // The test driver of some libvirt builds has no device hot-plug: the code must say so.
        expect(attached).toBe('NO_SUPPORT');
      }
    } finally {
      await domain.undefine();
    }
  });

  it('surfaces NO_SUPPORT for calls the test driver lacks', async () => {
    const one = await conn.lookupDomainByName('one');
    const result = await one.interfaceAddresses('lease').then(
      (addrs) => ({ addrs }),
      (e: unknown) => ({ code: (e as LibvirtError).codeName }),
    );
    if ('addrs' in result) expect(Array.isArray(result.addrs)).toBe(true);
    else expect(result.code).toMatch(/NO_SUPPORT|OPERATION_INVALID|ARGUMENT_UNSUPPORTED/);
    await expect(one.interfaceAddresses('dns' as 'lease')).rejects.toThrow(/must be lease, agent or arp/);
  });
});
