// The binding's pure helpers: URI handling, UUIDs, versions, error naming, stats parsing, events.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';

import {
  ErrorCode,
  LibvirtError,
  errorCodeName,
  errorDomainName,
  formatVersion,
  nonInteractiveUri,
  normalizeUuid,
  openConnection,
  redactLibvirtUri,
} from '../../server/libvirt/index.js';
import { toDomainEvent } from '../../server/libvirt/events.js';
import { parseDomainStats } from '../../server/libvirt/stats.js';

describe('nonInteractiveUri', () => {
  it('adds no_tty=1 to ssh transports only', () => {
    expect(nonInteractiveUri('qemu+ssh://root@h/system')).toBe('qemu+ssh://root@h/system?no_tty=1');
    expect(nonInteractiveUri('qemu+ssh://root@h:2201/system?keyfile=/k&no_verify=1')).toBe(
      'qemu+ssh://root@h:2201/system?keyfile=/k&no_verify=1&no_tty=1',
    );
    expect(nonInteractiveUri('qemu+ssh://h/system?no_tty=0')).toBe('qemu+ssh://h/system?no_tty=0');
    expect(nonInteractiveUri('qemu:///system')).toBe('qemu:///system');
    expect(nonInteractiveUri('test:///default')).toBe('test:///default');
  });
});

describe('redactLibvirtUri', () => {
  it('drops the query (key files, sockets) and any password, keeps transport, user, host, port and path', () => {
    expect(redactLibvirtUri('qemu+ssh://root@h:2201/system?keyfile=/k/id&no_verify=1')).toBe('qemu+ssh://root@h:2201/system');
    expect(redactLibvirtUri('qemu+tcp://admin:hunter2@h/system')).toBe('qemu+tcp://admin@h/system');
    expect(redactLibvirtUri('qemu:///system?socket=/run/x')).toBe('qemu:///system');
    expect(redactLibvirtUri('test:///default')).toBe('test:///default');
  });

  it("is what the binding's own error messages show", async () => {
    const conn = await openConnection('test:///default?keyfile=/secret/id_ed25519', {});
    await conn.close();
    const error = await conn.listAllDomains().then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error?.message).toBe('listAllDomains: connection to test:///default is closed');
  });
});

describe('normalizeUuid', () => {
  it('accepts any 32 hex digits with or without dashes', () => {
    fc.assert(
      fc.property(fc.uuid(), (uuid) => {
        expect(normalizeUuid(uuid.replace(/-/g, '').toUpperCase())).toBe(uuid.toLowerCase());
        expect(normalizeUuid(uuid)).toBe(uuid.toLowerCase());
      }),
    );
  });

  it('rejects anything else with INVALID_ARG', () => {
    for (const bad of ['', 'nonexist', 'fb6c4f62-2cf3-4623-9aee-23f0005eb5f', 'zb6c4f622cf346239aee23f0005eb5fb']) {
      expect(() => normalizeUuid(bad)).toThrow(LibvirtError);
      expect(() => normalizeUuid(bad)).toThrow(/expected 32 hex digits/);
    }
  });
});

describe('versions and error names', () => {
  it('formats libvirt version numbers', () => {
    expect(formatVersion(9000000)).toBe('9.0.0');
    expect(formatVersion(7002001)).toBe('7.2.1');
  });

  it('names libvirt and own error codes', () => {
    expect(errorCodeName(ErrorCode.NO_DOMAIN)).toBe('NO_DOMAIN');
    expect(errorCodeName(ErrorCode.TIMEOUT)).toBe('TIMEOUT');
    expect(errorCodeName(ErrorCode.CONNECTION_LOST)).toBe('CONNECTION_LOST');
    expect(errorCodeName(999)).toBe('UNKNOWN_999');
    expect(errorDomainName(12)).toBe('TEST');
    expect(errorDomainName(7)).toBe('RPC');
    const err = new LibvirtError(ErrorCode.RPC, 'boom', { domain: 7, call: 'getHostname' });
    expect(err).toMatchObject({
      name: 'LibvirtError',
      codeName: 'RPC',
      domainName: 'RPC',
      call: 'getHostname',
      isConnectionError: true,
    });
  });
});

describe('parseDomainStats', () => {
  it('groups typed parameters into plain objects', () => {
    const stats = parseDomainStats({
      name: 'vm',
      uuid: 'u',
      params: {
        'state.state': 1,
        'state.reason': 1,
        'cpu.time': 100,
        'cpu.user': 60,
        'cpu.system': 40,
        'balloon.current': 524288,
        'balloon.maximum': 524288,
        'vcpu.current': 2,
        'vcpu.maximum': 4,
        'net.count': 1,
        'net.0.name': 'vnet0',
        'net.0.rx.bytes': 10,
        'net.0.tx.pkts': 3,
        'block.count': 1,
        'block.0.name': 'vda',
        'block.0.path': '/d/vm_disk',
        'block.0.rd.bytes': 4096,
        'block.0.capacity': 1073741824,
      },
    });
    expect(stats.state).toEqual({ state: 'running', reason: 1 });
    expect(stats.cpu).toEqual({ timeNs: 100, userNs: 60, systemNs: 40 });
    expect(stats.balloon?.currentKiB).toBe(524288);
    expect(stats.vcpu).toEqual({ current: 2, maximum: 4 });
    expect(stats.interfaces).toEqual([{ name: 'vnet0', rxBytes: 10, txPkts: 3 }]);
    expect(stats.blocks).toEqual([{ name: 'vda', path: '/d/vm_disk', rdBytes: 4096, capacity: 1073741824 }]);
  });
});

describe('toDomainEvent', () => {
  it('names lifecycle events and details', () => {
    expect(toDomainEvent({ kind: 'lifecycle', domainName: 'a', domainUuid: 'u', event: 5, detail: 1 })).toEqual({
      kind: 'lifecycle',
      domainName: 'a',
      domainUuid: 'u',
      event: 'stopped',
      detail: 'destroyed',
    });
    expect(
      toDomainEvent({ kind: 'metadata-change', domainName: 'a', domainUuid: 'u', metadataType: 2, nsUri: 'http://x' }),
    ).toEqual({
      kind: 'metadata-change',
      domainName: 'a',
      domainUuid: 'u',
      metadataType: 'element',
      nsUri: 'http://x',
    });
    expect(toDomainEvent({ kind: 'device-removed', domainName: 'a', domainUuid: 'u', devAlias: 'net0' })?.devAlias).toBe('net0');
  });
});
