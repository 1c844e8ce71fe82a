/**
 * What the binding's objects (domains, pools, volumes, networks, snapshots, streams) need of their
 * connection: a way to run a native method on its thread with a deadline. Connection implements
 * it; the objects depend on this module only, so no file of the binding imports another in a circle.
 */
import type { NativeBinding, NativeMethodName } from './native.js';

export interface CallOptions {
  /** Deadline for this call in ms; 0 means none. Defaults to the connection's setting for the kind of call. */
  timeoutMs?: number;
  /** Stops waiting for the call (it rejects with OPERATION_ABORTED); the native job's late result is discarded. */
  signal?: AbortSignal;
}

export interface FlagOptions extends CallOptions {
  flags?: number;
}

/** For calls that create something: what to do with it when it is made after the call timed out. */
export interface CreateOptions<T> extends FlagOptions {
  /**
   * The caller was told the call failed (TIMEOUT), so the object must not stay: undo it here (a
   * late volume deleted, a late definition undefined). Without it the object stays for the sweeper.
   */
  onLateResult?: (created: T) => void;
}

/** 'long' calls (clone, upload, download, resize, snapshots) take the connection's long deadline by default. */
export type CallKind = 'ordinary' | 'long';

/** The arguments of a native method after the connection and job id the binding passes itself. */
export type NativeArgs<M extends NativeMethodName> =
  Parameters<NativeBinding[M]> extends [unknown, unknown, ...infer A] ? A : never;

export interface Invoker {
  readonly callTimeoutMs: number;
  readonly longCallTimeoutMs: number;
  /** @internal Runs a native method on the connection's thread with a deadline. */
  invoke<M extends NativeMethodName>(
    method: M,
    args: NativeArgs<M>,
    options: CallOptions | undefined,
    kind?: CallKind,
    /** Called with the result when it arrives after the deadline rejected the call. */
    late?: (value: Awaited<ReturnType<NativeBinding[M]>>) => void,
    /** Called once the native job has ended, in time or after its deadline, however it ended. */
    ended?: () => void,
  ): ReturnType<NativeBinding[M]>;
}
