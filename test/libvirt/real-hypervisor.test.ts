// The binding against a real libvirtd + QEMU (TCG) over qemu+ssh, inside the harness
// namespace: scripts/harness/harness.sh exec npx vitest run test/libvirt
import { randomBytes as randomBytesCallback } from 'node:crypto';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  AffectFlags,
  DomainStartFlags,
  DomainUndefineFlags,
  DomainXmlFlags,
  ErrorCode,
  type LibvirtError,
  NetworkUpdateFlags,
  openConnection,
  type ClosedEvent,
  type Connection,
  type Domain,
  type DomainEvent,
  type StorageVolume,
} from '../../server/libvirt/index.js';
import { loadNative } from '../../server/libvirt/native.js';
import { harnessCommand, requireHarness, type HarnessEnv } from '../helpers/harness.js';

// Generated off the JS thread so the loop-delay measurement sees only the binding.
const randomBytes = promisify(randomBytesCallback);
const harness = requireHarness();
const PREFIX = `vmango-lvt-${process.pid}`;

function tinyDomainXml(env: HarnessEnv, name: string): string {
  // No disk, no NIC: SeaBIOS prints to the serial console (useserial) and finds nothing to boot.
  return `<domain type='${env.domainType}'>
  <name>${name}</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <bios useserial='yes'/>
  </os>
  <on_reboot>restart</on_reboot>
  <devices>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <memballoon model='none'/>
  </devices>
</domain>`;
}

function waitForEvent(conn: Connection, match: (e: DomainEvent) => boolean, timeoutMs = 20_000): Promise<DomainEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      conn.off('domainEvent', onEvent);
      reject(new Error(`domain event did not arrive within ${timeoutMs} ms`));
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

class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk);
    cb();
  }
}

describe.skipIf(harness.env === undefined)('real hypervisor over qemu+ssh', () => {
  const env = harness.env as HarnessEnv;
  let conn: Connection;
  let loopDelay: IntervalHistogram;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    // Loading the addon (dlopen of libvirt, once per process) is not a libvirt call: keep it out of the measurement.
    loadNative();
    loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    conn = await openConnection(env.uri, { keepaliveInterval: 2, keepaliveCount: 3 });
    await conn.subscribeDomainEvents();
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await conn?.close();
    loopDelay?.disable();
  });

  async function defineTiny(suffix: string): Promise<Domain> {
    const name = `${PREFIX}-${suffix}`;
    const domain = await conn.defineDomain(tinyDomainXml(env, name));
    cleanups.push(async () => {
      await domain.destroy().catch(() => undefined);
      await domain.undefine({ flags: DomainUndefineFlags.NVRAM | DomainUndefineFlags.SNAPSHOTS_METADATA });
    });
    return domain;
  }

  function trackVolume(volume: StorageVolume): StorageVolume {
    cleanups.push(() => volume.delete());
    return volume;
  }

  it('reports the hypervisor', async () => {
    const version = await conn.getVersion();
    expect(version.hypervisorType).toBe('QEMU');
    expect(version.hypervisorVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect((await conn.getNodeInfo()).cpus).toBeGreaterThan(0);
    expect((await conn.getNodeMemoryStats()).total).toBeGreaterThan(0);
    expect(await conn.getCapabilities()).toContain('<arch>x86_64</arch>');
  });

  it('defines, starts, stops and undefines a domain, with lifecycle events', async () => {
    const domain = await defineTiny('life');
    const started = waitForEvent(conn, (e) => e.domainUuid === domain.uuid && e.event === 'started');
    await domain.start();
    expect(await started).toMatchObject({ kind: 'lifecycle', event: 'started', detail: 'booted', domainName: domain.name });
    expect((await domain.getState()).state).toBe('running');
    const listed = (await conn.listAllDomains()).find((d) => d.uuid === domain.uuid);
    expect(listed?.state).toBe('running');
    expect(listed?.xml).toContain(`<name>${domain.name}</name>`);
    const stats = await domain.getStats();
    expect(stats.state?.state).toBe('running');
    expect(stats.cpu?.timeNs).toBeGreaterThan(0);
    // QEMU reports a reset as a guest reboot.
    const rebooted = waitForEvent(conn, (e) => e.domainUuid === domain.uuid && e.kind === 'reboot');
    await domain.reset();
    expect(await rebooted).toMatchObject({ kind: 'reboot', domainName: domain.name });
    const suspended = waitForEvent(conn, (e) => e.domainUuid === domain.uuid && e.event === 'suspended');
    await domain.suspend();
    expect(await suspended).toMatchObject({ event: 'suspended', detail: 'paused' });
    await domain.resume();
    const stopped = waitForEvent(conn, (e) => e.domainUuid === domain.uuid && e.event === 'stopped');
    await domain.destroy();
    expect(await stopped).toMatchObject({ event: 'stopped', detail: 'destroyed' });
    const undefinedEvent = waitForEvent(conn, (e) => e.domainUuid === domain.uuid && e.event === 'undefined');
    await domain.undefine();
    await undefinedEvent;
    await expect(conn.lookupDomainByUuid(domain.uuid.replace(/-/g, ''))).rejects.toMatchObject({ codeName: 'NO_DOMAIN' });
  });

  it('round-trips vmango metadata, edits the persistent config and reads addresses', async () => {
    const domain = await defineTiny('meta');
    const ns = 'http://vmango.org/schema/md';
    const changed = waitForEvent(conn, (e) => e.domainUuid === domain.uuid && e.kind === 'metadata-change');
    await domain.setMetadata('<md><os>Cirros-0.6</os><plan>small</plan></md>', {
      type: 'element',
      key: 'vmango',
      uri: ns,
      flags: AffectFlags.CONFIG,
    });
    expect(await changed).toMatchObject({ metadataType: 'element', nsUri: ns });
    expect(await domain.getMetadata({ type: 'element', uri: ns, flags: AffectFlags.CONFIG })).toMatch(
      /<vmango:os>Cirros-0.6<\/vmango:os>|<os>Cirros-0.6<\/os>/,
    );
    expect(await domain.getXmlDesc({ flags: DomainXmlFlags.INACTIVE })).toContain(`xmlns:vmango="${ns}"`);

    const nic = `<interface type='network'><mac address='52:54:00:7e:57:02'/><source network='${env.network}'/><model type='virtio'/></interface>`;
    await domain.attachDevice(nic, { flags: AffectFlags.CONFIG });
    expect(await domain.getXmlDesc({ flags: DomainXmlFlags.INACTIVE })).toContain('52:54:00:7e:57:02');
    await domain.detachDevice(nic, { flags: AffectFlags.CONFIG });
    expect(await domain.getXmlDesc({ flags: DomainXmlFlags.INACTIVE })).not.toContain('52:54:00:7e:57:02');
    await domain.setVcpus(1, { flags: AffectFlags.CONFIG });
    await domain.setMemory(24 * 1024, { flags: AffectFlags.CONFIG });
    expect((await domain.getInfo()).memoryKiB).toBe(24 * 1024);

    await domain.start();
    try {
      expect(await domain.interfaceAddresses('lease')).toEqual([]);
    } finally {
      await domain.destroy();
    }
  });

  it('carries console bytes from SeaBIOS on the serial port', async () => {
    const domain = await defineTiny('console');
    // Paused until the console is open: under TCG SeaBIOS is done printing before a cold console
    // (its own connection, a fresh SSH login) is open.
    await domain.start({ flags: DomainStartFlags.PAUSED });
    const console = await domain.openConsole();
    await domain.resume();
    try {
      const text = await new Promise<string>((resolve, reject) => {
        let seen = '';
        const timer = setTimeout(
          () => reject(new Error(`no SeaBIOS output on the console; got ${JSON.stringify(seen)}`)),
          30_000,
        );
        console.on('data', (chunk: Buffer) => {
          seen += chunk.toString('latin1');
          if (/SeaBIOS|Booting|No bootable device/.test(seen)) {
            clearTimeout(timer);
            resolve(seen);
          }
        });
        console.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      });
      expect(text).toMatch(/SeaBIOS|Booting|No bootable device/);
      // Writing reaches the guest's serial port (SeaBIOS ignores it, the stream accepts it).
      await new Promise<void>((resolve, reject) => console.write(Buffer.from('\r\n'), (err) => (err ? reject(err) : resolve())));
    } finally {
      console.destroy();
      await domain.destroy();
    }
  });

  it('clones an image volume across pools and resizes it', async () => {
    const images = await conn.lookupStoragePoolByName(env.imagePool);
    const root = await conn.lookupStoragePoolByName(env.rootPool);
    const listed = await images.listAllVolumes();
    const image = listed.find((v) => v.name.endsWith('_qcow2.img'));
    expect(image, `a *_qcow2.img volume in ${env.imagePool}`).toBeDefined();
    const name = `${PREFIX}-clone_disk`;
    const clone = trackVolume(
      await root.createVolumeFrom(
        `<volume><name>${name}</name><capacity unit='bytes'>${image!.capacity}</capacity><target><format type='qcow2'/></target></volume>`,
        image!.volume,
      ),
    );
    expect(clone.name).toBe(name);
    expect(await clone.getPath()).toMatch(new RegExp(`/${name}$`));
    await clone.resize(256 * 1024 * 1024);
    expect((await clone.getInfo()).capacity).toBe(256 * 1024 * 1024);
    expect((await conn.lookupStorageVolumeByPath(await clone.getPath())).name).toBe(name);
    expect((await root.listAllVolumes()).some((v) => v.name === name && v.xml.includes("format type='qcow2'"))).toBe(true);
  });

  it('uploads 5 MiB of random bytes and downloads them back identical', async () => {
    const root = await conn.lookupStoragePoolByName(env.rootPool);
    const size = 5 * 1024 * 1024;
    const volume = trackVolume(
      await root.createVolume(
        `<volume><name>${PREFIX}-upload.img</name><capacity unit='bytes'>${size}</capacity><target><format type='raw'/></target></volume>`,
      ),
    );
    const payload = await randomBytes(size);
    expect(await volume.upload(payload)).toBe(size);
    const sink = new Collector();
    expect(await volume.download(sink)).toBe(size);
    const back = Buffer.concat(sink.chunks);
    expect(back.length).toBe(size);
    expect(back.equals(payload)).toBe(true);
    // From a Readable, in uneven chunks, at an offset.
    const patch = await randomBytes(300_000);
    expect(
      await volume.upload(Readable.from([patch.subarray(0, 1000), patch.subarray(1000)]), { offset: 4096, length: patch.length }),
    ).toBe(patch.length);
    payload.set(patch, 4096);
    // A partial transfer at an offset.
    const partial = new Collector();
    expect(await volume.download(partial, { offset: 1024, length: 4096 })).toBe(4096);
    expect(Buffer.concat(partial.chunks).equals(payload.subarray(1024, 1024 + 4096))).toBe(true);
    const whole = new Collector();
    await volume.download(whole);
    expect(Buffer.concat(whole.chunks).equals(payload)).toBe(true);
  });

  it('adds and removes a DHCP host on the network and reads leases', async () => {
    const network = await conn.lookupNetworkByName(env.network);
    expect(await network.isActive()).toBe(true);
    const host = `<host mac='52:54:00:7e:57:01' name='${PREFIX}' ip='192.168.150.251'/>`;
    const both = NetworkUpdateFlags.AFFECT_LIVE | NetworkUpdateFlags.AFFECT_CONFIG;
    await network.update('add-last', 'ip-dhcp-host', host, { flags: both });
    cleanups.push(() => network.update('delete', 'ip-dhcp-host', host, { flags: both }));
    expect(await network.getXmlDesc()).toContain(`name='${PREFIX}'`);
    expect(await network.getXmlDesc({ flags: 1 })).toContain(`name='${PREFIX}'`);
    await network.update('delete', 'ip-dhcp-host', host, { flags: both });
    cleanups.pop();
    expect(await network.getXmlDesc()).not.toContain(`name='${PREFIX}'`);
    const leases = await network.getDhcpLeases();
    expect(Array.isArray(leases)).toBe(true);
  });

  it('completes 200 concurrent calls on one connection', async () => {
    const calls = Array.from({ length: 200 }, (_, i) => {
      switch (i % 4) {
        case 0:
          return conn.getHostname();
        case 1:
          return conn.listAllStoragePools();
        case 2:
          return conn.lookupNetworkByName(env.network);
        default:
          return conn.getNodeInfo();
      }
    });
    const results = await Promise.all(calls);
    expect(results).toHaveLength(200);
    expect(conn.pendingCalls).toBe(0);
  });

  it('times out on a frozen path and reports the connection lost by keepalive', async () => {
    const frozenConn = await openConnection(env.uri2, { keepaliveInterval: 1, keepaliveCount: 2 });
    let closed: ClosedEvent | undefined;
    frozenConn.on('closed', (e) => {
      closed = e;
    });
    const timeouts: string[] = [];
    frozenConn.on('timeout', (e) => timeouts.push(e.call));
    const frozen = await harnessCommand('freeze', '2');
    expect(frozen.code, frozen.stderr).toBe(0);
    try {
      const started = Date.now();
      const err = (await frozenConn.getHostname({ timeoutMs: 500 }).catch((e: unknown) => e)) as LibvirtError;
      expect(err.code).toBe(ErrorCode.TIMEOUT);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(timeouts).toEqual(['getHostname']);
      // The other connection to the same daemon is unaffected.
      expect(await conn.getHostname()).toBeTruthy();
      const deadline = Date.now() + 15_000;
      while (closed === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(closed?.reason).toBe('keepalive');
      expect(frozenConn.isOpen).toBe(false);
      await expect(frozenConn.getHostname()).rejects.toMatchObject({ code: ErrorCode.CONNECTION_LOST });
    } finally {
      await harnessCommand('unfreeze', '2');
      await frozenConn.close({ timeoutMs: 5000 });
    }
  });

  it('never delayed the Node event loop by 50 ms or more', () => {
    expect(loopDelay.max / 1e6).toBeLessThan(50);
  });
});
