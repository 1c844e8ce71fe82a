import type { CallOptions } from './connection.js';
import type { Domain, FlagOptions } from './domain.js';
import type { NativeHandle, NativeRef } from './native.js';

export class DomainSnapshot {
  readonly domain: Domain;
  readonly name: string;
  /** @internal */
  readonly handle: NativeHandle;

  /** @internal */
  constructor(domain: Domain, ref: NativeRef) {
    this.domain = domain;
    this.name = ref.name;
    this.handle = ref.handle;
  }

  getXmlDesc(options?: FlagOptions): Promise<string> {
    return this.domain.connection.invoke('snapshotGetXmlDesc', [this.handle, options?.flags ?? 0], options);
  }

  /** flags: SnapshotRevertFlags. */
  revert(options?: FlagOptions): Promise<void> {
    return this.domain.connection.invoke('snapshotRevert', [this.handle, options?.flags ?? 0], options, 'long');
  }

  /** flags: SnapshotDeleteFlags. */
  delete(options?: FlagOptions): Promise<void> {
    return this.domain.connection.invoke('snapshotDelete', [this.handle, options?.flags ?? 0], options);
  }
}

export type { CallOptions };
