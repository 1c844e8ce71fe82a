/**
 * A domain's serial console as a Duplex: bytes written go to the guest, bytes the guest prints
 * are readable. The native side (native/console.cc) runs the console on a side connection of its
 * own, with one thread making every libvirt call on it; here only bytes are queued and taken.
 * Both directions are flow-controlled: a slow reader stops the native side receiving, and a
 * writer waits once more than WRITE_HIGH_WATER bytes are queued for the guest.
 */
import { Duplex } from 'node:stream';
import { toLibvirtError } from './errors.js';
import type { CallOptions, Invoker } from './invoker.js';
import { loadNative, type NativeConsole, type NativeHandle } from './native.js';

const WRITE_HIGH_WATER = 256 * 1024;

export interface ConsoleOpenOptions extends CallOptions {
  /** The console device (e.g. "serial0"); default the domain's first console. */
  devName?: string;
  /** ConsoleFlags: FORCE takes the console from a client that holds it; SAFE refuses to. */
  flags?: number;
}

/** Why a console ended: 'eof' (the guest side closed), 'error' (libvirt failed it), or the reason given to close(). */
export type ConsoleEndReason = string;

export class ConsoleSession extends Duplex {
  private readonly native = loadNative();
  private readonly console: NativeConsole;
  private unacked = 0;
  private waitingWrite?: () => void;
  private ended = false;
  /** Bytes received from and sent to the guest. */
  bytesIn = 0;
  bytesOut = 0;
  endReason?: ConsoleEndReason;

  /** @internal Use Domain.openConsole(). */
  constructor() {
    super({ allowHalfOpen: false, readableHighWaterMark: 256 * 1024 });
    this.console = this.native.consoleCreate((type, payload) => this.onEvent(type, payload));
  }

  /** @internal */
  async open(connection: Invoker, domain: NativeHandle, options: ConsoleOpenOptions): Promise<this> {
    // A console that opens after its deadline gave up is closed at once.
    await connection.invoke(
      'consoleOpen',
      [this.console, domain, options.devName ?? null, options.flags ?? 0],
      options,
      'ordinary',
      () => this.native.consoleClose(this.console, 'opened too late'),
    );
    return this;
  }

  /** Ends the console: its stream is aborted and its connection given back. */
  close(reason = 'closed'): void {
    if (this.ended) return;
    this.native.consoleClose(this.console, reason);
  }

  override _read(): void {
    if (this.unacked > 0) {
      this.native.consoleConsumed(this.console, this.unacked);
      this.unacked = 0;
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.ended) {
      callback(new Error('the console is closed'));
      return;
    }
    const queued = this.native.consoleWrite(this.console, chunk);
    this.bytesOut += chunk.length;
    if (queued <= WRITE_HIGH_WATER) callback();
    else this.waitingWrite = () => callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.close('finished');
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.close(error ? 'error' : 'closed');
    callback(error);
  }

  private onEvent(type: string, payload: unknown): void {
    if (type === 'data') {
      const bytes = payload as Buffer;
      this.bytesIn += bytes.length;
      this.unacked += bytes.length;
      if (this.push(bytes)) this._read();
    } else if (type === 'drained') {
      const resume = this.waitingWrite;
      this.waitingWrite = undefined;
      resume?.();
    } else if (type === 'closed') {
      this.ended = true;
      const { reason, error } = payload as { reason: string; error?: unknown };
      this.endReason = reason;
      this.waitingWrite?.();
      this.waitingWrite = undefined;
      if (error !== undefined) this.destroy(toLibvirtError(error, 'console'));
      else this.push(null);
    }
  }
}
