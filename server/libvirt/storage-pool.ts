import type { CallOptions, CreateOptions, Invoker } from './invoker.js';
import { STORAGE_POOL_STATE_NAMES, type StoragePoolStateName } from './constants.js';
import type { NativeHandle, NativePoolRef, NativeVolumeRef } from './native.js';
import { StorageVolume, type StorageVolumeListEntry } from './storage-volume.js';

export interface StoragePoolListEntry {
  pool: StoragePool;
  name: string;
  uuid: string;
  active: boolean;
  xml: string;
}

export interface StoragePoolInfo {
  state: StoragePoolStateName;
  /** Bytes. */
  capacity: number;
  allocation: number;
  available: number;
}

export class StoragePool {
  readonly connection: Invoker;
  readonly name: string;
  readonly uuid: string;
  /** @internal */
  readonly handle: NativeHandle;

  /** @internal */
  constructor(connection: Invoker, ref: NativePoolRef) {
    this.connection = connection;
    this.name = ref.name;
    this.uuid = ref.uuid;
    this.handle = ref.handle;
  }

  /** flags: 1 = INACTIVE (the persistent definition). */
  getXmlDesc(options?: CallOptions & { flags?: number }): Promise<string> {
    return this.connection.invoke('poolGetXmlDesc', [this.handle, options?.flags ?? 0], options);
  }

  async getInfo(options?: CallOptions): Promise<StoragePoolInfo> {
    const info = await this.connection.invoke('poolGetInfo', [this.handle], options);
    return { ...info, state: STORAGE_POOL_STATE_NAMES[info.state] ?? 'inaccessible' };
  }

  isActive(options?: CallOptions): Promise<boolean> {
    return this.connection.invoke('poolIsActive', [this.handle], options);
  }

  refresh(options?: CallOptions): Promise<void> {
    return this.connection.invoke('poolRefresh', [this.handle], options);
  }

  /** Every volume with path, type, sizes and XML, in one native call. */
  async listAllVolumes(options?: CallOptions): Promise<StorageVolumeListEntry[]> {
    const entries = await this.connection.invoke('listAllVolumes', [this.handle], options);
    return entries.map((entry) => StorageVolume.listEntry(this.connection, entry));
  }

  /** Every volume's name and key in one RPC, without the per-volume path, sizes and XML. */
  async listVolumeNames(options?: CallOptions): Promise<{ volume: StorageVolume; name: string; key: string }[]> {
    const refs = await this.connection.invoke('listVolumeNames', [this.handle], options);
    return refs.map((ref) => ({ volume: new StorageVolume(this.connection, ref), name: ref.name, key: ref.key }));
  }

  /** Caller to come: the storage API (issue 20). */
  async lookupVolumeByName(name: string, options?: CallOptions): Promise<StorageVolume> {
    return new StorageVolume(this.connection, await this.connection.invoke('volLookupByName', [this.handle, name], options));
  }

  /** flags: VolCreateFlags. */
  async createVolume(xml: string, options?: CreateOptions<StorageVolume>): Promise<StorageVolume> {
    const ref = await this.connection.invoke(
      'volCreateXml',
      [this.handle, xml, options?.flags ?? 0],
      options,
      'long',
      this.late(options),
    );
    return new StorageVolume(this.connection, ref);
  }

  private late(options: CreateOptions<StorageVolume> | undefined): ((ref: NativeVolumeRef) => void) | undefined {
    const late = options?.onLateResult;
    return late && ((ref) => late(new StorageVolume(this.connection, ref)));
  }

  /** Clones `source` (from any pool of the same connection) into this pool. flags: VolCreateFlags. */
  async createVolumeFrom(xml: string, source: StorageVolume, options?: CreateOptions<StorageVolume>): Promise<StorageVolume> {
    const ref = await this.connection.invoke(
      'volCreateXmlFrom',
      [this.handle, xml, source.handle, options?.flags ?? 0],
      options,
      'long',
      this.late(options),
    );
    return new StorageVolume(this.connection, ref);
  }
}
