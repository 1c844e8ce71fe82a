import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  LibvirtError,
  NetworkUpdateFlags,
  openConnection,
  type Connection,
  type StoragePool,
} from '../../server/libvirt/index.js';
import { FIXTURE_URI } from './test-driver.js';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof LibvirtError)) throw new Error(`expected a LibvirtError, got ${String(err)}`);
  return err.codeName;
}

describe('storage over the test driver', () => {
  let conn: Connection;
  let images: StoragePool;
  beforeAll(async () => {
    conn = await openConnection(FIXTURE_URI);
    images = await conn.lookupStoragePoolByName('vmango-images-test');
  });
  afterAll(async () => {
    await conn.close();
  });

  it('lists pools with state and XML in one call', async () => {
    const pools = await conn.listAllStoragePools();
    expect(pools.map((p) => p.name).sort()).toEqual(['vmango-images-test', 'vmango-vms-test']);
    const entry = pools.find((p) => p.name === 'vmango-images-test');
    expect(entry?.active).toBe(true);
    expect(entry?.xml).toContain('<path>/var/lib/libvirt/images/vmango-images-test</path>');
    expect(entry?.pool.uuid).toBe('35bb2ad9-388a-cdfe-461a-b8907f6e53fe');
  });

  it('reads pool XML and info, refreshes', async () => {
    expect(await images.getXmlDesc()).toContain('<name>vmango-images-test</name>');
    const info = await images.getInfo();
    expect(info.state).toBe('running');
    expect(info.capacity).toBe(107374182400);
    expect(await images.isActive()).toBe(true);
    await images.refresh();
    expect(await codeOf(conn.lookupStoragePoolByName('nope'))).toBe('NO_STORAGE_POOL');
  });

  it('lists volumes with path, type, sizes and XML in one call', async () => {
    const volumes = await images.listAllVolumes();
    const cirros = volumes.find((v) => v.name === 'Cirros-0.6_amd64_qcow2.img');
    expect(cirros).toMatchObject({
      path: '/var/lib/libvirt/images/vmango-images-test/Cirros-0.6_amd64_qcow2.img',
      type: 'file',
      capacity: 200704,
    });
    expect(cirros?.xml).toContain('<name>Cirros-0.6_amd64_qcow2.img</name>');
    expect(cirros?.key).toBe(cirros?.path);
  });

  it('looks volumes up by name, path and key', async () => {
    const byName = await images.lookupVolumeByName('Debian-12_amd64_raw.img');
    const path = await byName.getPath();
    expect(path).toBe('/var/lib/libvirt/images/vmango-images-test/Debian-12_amd64_raw.img');
    expect((await conn.lookupStorageVolumeByPath(path)).name).toBe('Debian-12_amd64_raw.img');
    expect((await conn.lookupStorageVolumeByKey(byName.key)).name).toBe('Debian-12_amd64_raw.img');
    expect(await byName.getInfo()).toEqual({ type: 'file', capacity: 4096, allocation: 4096 });
    expect(await byName.getXmlDesc()).toContain("<capacity unit='bytes'>4096</capacity>");
    expect(await codeOf(images.lookupVolumeByName('missing.img'))).toBe('NO_STORAGE_VOL');
    expect(await codeOf(conn.lookupStorageVolumeByPath('/nowhere/x.img'))).toBe('NO_STORAGE_VOL');
  });

  it('creates, clones and deletes volumes', async () => {
    const vms = await conn.lookupStoragePoolByName('vmango-vms-test');
    const created = await vms.createVolume("<volume><name>created_disk</name><capacity unit='bytes'>1048576</capacity></volume>");
    expect(created.name).toBe('created_disk');
    expect((await created.getInfo()).capacity).toBe(1048576);
    // The test driver clones only within one pool; cross-pool cloning is covered on the real hypervisor.
    const clone = await vms.createVolumeFrom(
      "<volume><name>clone_disk</name><capacity unit='bytes'>1048576</capacity></volume>",
      created,
    );
    expect(clone.name).toBe('clone_disk');
    expect((await vms.listAllVolumes()).map((v) => v.name)).toEqual(expect.arrayContaining(['created_disk', 'clone_disk']));
    // The test driver reports a duplicate volume as OPERATION_FAILED ("storage vol already exists").
    const duplicate = (await vms
      .createVolume('<volume><name>created_disk</name><capacity>1</capacity></volume>')
      .catch((e: unknown) => e)) as LibvirtError;
    expect(duplicate.codeName).toMatch(/STORAGE_VOL_EXIST|OPERATION_FAILED/);
    expect(duplicate.message).toMatch(/already exists/);
    await clone.delete();
    await created.delete();
    expect(await codeOf(vms.lookupVolumeByName('created_disk'))).toBe('NO_STORAGE_VOL');
  });

  it('surfaces NO_SUPPORT for upload, download and resize, which the test driver lacks', async () => {
    const volume = await images.lookupVolumeByName('Debian-12_amd64_raw.img');
    expect(await codeOf(volume.upload(Buffer.alloc(16)))).toBe('NO_SUPPORT');
    const { PassThrough } = await import('node:stream');
    expect(await codeOf(volume.download(new PassThrough()))).toBe('NO_SUPPORT');
    expect(await codeOf(volume.resize(8192))).toBe('NO_SUPPORT');
    expect(conn.pendingCalls).toBe(0);
  });
});

describe('networks over the test driver', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await openConnection(FIXTURE_URI);
  });
  afterAll(async () => {
    await conn.close();
  });

  it('lists networks with state and XML in one call', async () => {
    const networks = await conn.listAllNetworks();
    expect(networks).toHaveLength(1);
    expect(networks[0]).toMatchObject({ name: 'vmango-test', uuid: '8c6f7828-c5bb-4edc-905c-dc69260bf68c', active: true });
    expect(networks[0]?.xml).toContain("<host mac='52:54:00:2e:54:28' name='one' ip='192.168.128.130'/>");
  });

  it('adds and removes a DHCP host entry live and in the config', async () => {
    const network = await conn.lookupNetworkByName('vmango-test');
    expect(await network.isActive()).toBe(true);
    const host = "<host mac='52:54:00:01:91:42' name='testapi' ip='192.168.128.140'/>";
    const both = NetworkUpdateFlags.AFFECT_LIVE | NetworkUpdateFlags.AFFECT_CONFIG;
    await network.update('add-last', 'ip-dhcp-host', host, { flags: both });
    expect(await network.getXmlDesc()).toContain("name='testapi'");
    await network.update('delete', 'ip-dhcp-host', host, { flags: both });
    expect(await network.getXmlDesc()).not.toContain("name='testapi'");
    await expect(network.update('append' as 'add-last', 'ip-dhcp-host', host)).rejects.toThrow(
      /network update command must be one of modify, delete, add-last, add-first; got "append"/,
    );
    await expect(network.update('add-last', 'dhcp' as 'ip', host)).rejects.toThrow(/network update section must be one of/);
    expect(await codeOf(conn.lookupNetworkByName('nope'))).toBe('NO_NETWORK');
  });

  it('reports NO_SUPPORT for leases on the test driver', async () => {
    const network = await conn.lookupNetworkByName('vmango-test');
    expect(await codeOf(network.getDhcpLeases())).toBe('NO_SUPPORT');
  });
});
