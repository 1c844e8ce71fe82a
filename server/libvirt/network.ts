import type { CallOptions, Invoker } from './invoker.js';
import {
  NETWORK_UPDATE_COMMAND,
  NETWORK_UPDATE_SECTION,
  type NetworkUpdateCommand,
  type NetworkUpdateSection,
} from './constants.js';
import { ErrorCode, LibvirtError } from './errors.js';
import type { NativeDhcpLease, NativeHandle, NativeNetworkRef } from './native.js';

export interface NetworkListEntry {
  network: Network;
  name: string;
  uuid: string;
  active: boolean;
  xml: string;
}

export type DhcpLease = NativeDhcpLease;

export interface NetworkUpdateOptions extends CallOptions {
  /** Index of the parent element (e.g. which <ip>); -1 (default) lets libvirt pick. */
  parentIndex?: number;
  /** NetworkUpdateFlags: AFFECT_LIVE | AFFECT_CONFIG. Default AFFECT_CURRENT. */
  flags?: number;
}

export class Network {
  readonly connection: Invoker;
  readonly name: string;
  readonly uuid: string;
  /** @internal */
  readonly handle: NativeHandle;

  /** @internal */
  constructor(connection: Invoker, ref: NativeNetworkRef) {
    this.connection = connection;
    this.name = ref.name;
    this.uuid = ref.uuid;
    this.handle = ref.handle;
  }

  /** flags: 1 = INACTIVE (the persistent definition). */
  getXmlDesc(options?: CallOptions & { flags?: number }): Promise<string> {
    return this.connection.invoke('networkGetXmlDesc', [this.handle, options?.flags ?? 0], options);
  }

  isActive(options?: CallOptions): Promise<boolean> {
    return this.connection.invoke('networkIsActive', [this.handle], options);
  }

  /**
   * virNetworkUpdate, e.g. update('add-last', 'ip-dhcp-host', "<host mac=… name=… ip=…/>",
   * { flags: NetworkUpdateFlags.AFFECT_LIVE | NetworkUpdateFlags.AFFECT_CONFIG }).
   */
  update(
    command: NetworkUpdateCommand,
    section: NetworkUpdateSection,
    xml: string,
    options?: NetworkUpdateOptions,
  ): Promise<void> {
    const commandValue = NETWORK_UPDATE_COMMAND[command];
    const sectionValue = NETWORK_UPDATE_SECTION[section];
    if (commandValue === undefined) {
      return Promise.reject(
        new LibvirtError(
          ErrorCode.INVALID_ARG,
          `network update command must be one of ${Object.keys(NETWORK_UPDATE_COMMAND).join(', ')}; got ${JSON.stringify(command)}`,
        ),
      );
    }
    if (sectionValue === undefined) {
      return Promise.reject(
        new LibvirtError(
          ErrorCode.INVALID_ARG,
          `network update section must be one of ${Object.keys(NETWORK_UPDATE_SECTION).join(', ')}; got ${JSON.stringify(section)}`,
        ),
      );
    }
    return this.connection.invoke(
      'networkUpdate',
      [this.handle, commandValue, sectionValue, options?.parentIndex ?? -1, xml, options?.flags ?? 0],
      options,
    );
  }

  /** Current DHCP leases, optionally only those of one MAC address. */
  getDhcpLeases(options?: CallOptions & { mac?: string }): Promise<DhcpLease[]> {
    return this.connection.invoke('networkGetDhcpLeases', [this.handle, options?.mac ?? null], options);
  }
}
