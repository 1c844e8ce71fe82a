import type { Readable, Writable } from 'node:stream';

import type { CallOptions, Invoker } from './invoker.js';
import { STORAGE_VOL_TYPE_NAMES, type StorageVolTypeName } from './constants.js';
import type { NativeHandle, NativeVolumeRef } from './native.js';
import { downloadVolume, uploadVolume, type TransferOptions } from './stream.js';

export interface StorageVolumeListEntry {
  volume: StorageVolume;
  name: string;
  key: string;
  path: string;
  type: StorageVolTypeName;
  /** Bytes. */
  capacity: number;
  allocation: number;
  xml: string;
}

export interface StorageVolumeInfo {
  type: StorageVolTypeName;
  capacity: number;
  allocation: number;
}

function volTypeName(type: number): StorageVolTypeName {
  return STORAGE_VOL_TYPE_NAMES[type] ?? 'file';
}

export class StorageVolume {
  readonly connection: Invoker;
  readonly name: string;
  readonly key: string;
  /** @internal */
  readonly handle: NativeHandle;

  /** @internal */
  constructor(connection: Invoker, ref: NativeVolumeRef) {
    this.connection = connection;
    this.name = ref.name;
    this.key = ref.key;
    this.handle = ref.handle;
  }

  /** @internal */
  static listEntry(
    connection: Invoker,
    entry: NativeVolumeRef & { path: string; type: number; capacity: number; allocation: number; xml: string },
  ): StorageVolumeListEntry {
    return {
      volume: new StorageVolume(connection, entry),
      name: entry.name,
      key: entry.key,
      path: entry.path,
      type: volTypeName(entry.type),
      capacity: entry.capacity,
      allocation: entry.allocation,
      xml: entry.xml,
    };
  }

  getXmlDesc(options?: CallOptions): Promise<string> {
    return this.connection.invoke('volGetXmlDesc', [this.handle], options);
  }

  async getInfo(options?: CallOptions): Promise<StorageVolumeInfo> {
    const info = await this.connection.invoke('volGetInfo', [this.handle], options);
    return { type: volTypeName(info.type), capacity: info.capacity, allocation: info.allocation };
  }

  getPath(options?: CallOptions): Promise<string> {
    return this.connection.invoke('volGetPath', [this.handle], options);
  }

  /** flags: VolDeleteFlags. */
  delete(options?: CallOptions & { flags?: number }): Promise<void> {
    return this.connection.invoke('volDelete', [this.handle, options?.flags ?? 0], options);
  }

  /** New capacity in bytes. flags: VolResizeFlags. Runs on a thread of its own. */
  resize(capacity: number, options?: CallOptions & { flags?: number }): Promise<void> {
    return this.connection.invoke('volResize', [this.handle, capacity, options?.flags ?? 0], options, 'long');
  }

  /** Writes `source` into the volume through a libvirt stream; resolves with the bytes sent. */
  upload(source: Buffer | Readable, options?: TransferOptions): Promise<number> {
    return uploadVolume(this.connection, this.handle, source, options);
  }

  /**
   * Reads the volume into `dest` (ended when done); resolves with the bytes received.
   * Caller to come: volume download and backups (issue 20).
   */
  download(dest: Writable, options?: TransferOptions): Promise<number> {
    return downloadVolume(this.connection, this.handle, dest, options);
  }
}
