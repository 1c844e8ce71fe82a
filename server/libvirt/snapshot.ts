import type { FlagOptions, Invoker } from './invoker.js';
import type { NativeHandle, NativeRef } from './native.js';

export class DomainSnapshot {
  readonly connection: Invoker;
  /** The name of the domain the snapshot belongs to. */
  readonly domainName: string;
  readonly name: string;
  /** @internal */
  readonly handle: NativeHandle;

  /** @internal */
  constructor(connection: Invoker, domainName: string, ref: NativeRef) {
    this.connection = connection;
    this.domainName = domainName;
    this.name = ref.name;
    this.handle = ref.handle;
  }

  getXmlDesc(options?: FlagOptions): Promise<string> {
    return this.connection.invoke('snapshotGetXmlDesc', [this.handle, options?.flags ?? 0], options);
  }

  /**
   * flags: SnapshotRevertFlags.
   * Caller to come: snapshots (issue 14).
   */
  revert(options?: FlagOptions): Promise<void> {
    return this.connection.invoke('snapshotRevert', [this.handle, options?.flags ?? 0], options, 'long');
  }

  /** flags: SnapshotDeleteFlags. */
  delete(options?: FlagOptions): Promise<void> {
    return this.connection.invoke('snapshotDelete', [this.handle, options?.flags ?? 0], options);
  }
}
