import type { Readable, Writable } from 'node:stream';

import type { CallOptions, Invoker } from './invoker.js';
import { ErrorCode, LibvirtError } from './errors.js';
import type { NativeHandle } from './native.js';

export interface TransferOptions extends CallOptions {
  /** Byte offset in the volume. Default 0. */
  offset?: number;
  /** Bytes to transfer; 0 (default) means to the end (download) or whatever the source holds (upload). */
  length?: number;
  /** VolTransferFlags. */
  flags?: number;
}

const CHUNK_BYTES = 1024 * 1024;

/** The whole transfer shares one deadline (timeoutMs, default longCallTimeoutMs). */
class Deadline {
  private readonly end: number | undefined;

  constructor(timeoutMs: number) {
    this.end = timeoutMs === 0 ? undefined : Date.now() + timeoutMs;
  }

  remaining(): CallOptions {
    return { timeoutMs: this.end === undefined ? 0 : Math.max(1, this.end - Date.now()) };
  }
}

function transferDeadline(connection: Invoker, options: TransferOptions | undefined): Deadline {
  return new Deadline(options?.timeoutMs ?? connection.longCallTimeoutMs);
}

async function abortQuietly(connection: Invoker, stream: NativeHandle): Promise<void> {
  await connection.invoke('streamAbort', [stream], { timeoutMs: connection.callTimeoutMs }).catch(() => undefined);
}

async function* chunksOf(source: Buffer | Readable): AsyncGenerator<Buffer> {
  if (Buffer.isBuffer(source)) {
    for (let offset = 0; offset < source.length; offset += CHUNK_BYTES) yield source.subarray(offset, offset + CHUNK_BYTES);
    return;
  }
  for await (const chunk of source as AsyncIterable<Buffer | string | Uint8Array>) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let offset = 0; offset < buffer.length; offset += CHUNK_BYTES) yield buffer.subarray(offset, offset + CHUNK_BYTES);
  }
}

/** virStorageVolUpload + virStreamSend… + virStreamFinish; virStreamAbort on any failure. */
export async function uploadVolume(
  connection: Invoker,
  volume: NativeHandle,
  source: Buffer | Readable,
  options?: TransferOptions,
): Promise<number> {
  const deadline = transferDeadline(connection, options);
  const stream = await connection.invoke(
    'volUpload',
    [volume, options?.offset ?? 0, options?.length ?? 0, options?.flags ?? 0],
    deadline.remaining(),
    'long',
  );
  let sent = 0;
  try {
    for await (const chunk of chunksOf(source)) {
      await connection.invoke('streamSend', [stream, chunk], deadline.remaining(), 'long');
      sent += chunk.length;
    }
    await connection.invoke('streamFinish', [stream], deadline.remaining(), 'long');
  } catch (err) {
    await abortQuietly(connection, stream);
    throw err;
  }
  return sent;
}

function waitForDrain(dest: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      dest.off('drain', onDrain);
      dest.off('error', onError);
      dest.off('close', onClose);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onClose = (): void => {
      cleanup();
      reject(new LibvirtError(ErrorCode.OPERATION_ABORTED, 'download destination closed before the transfer ended'));
    };
    dest.on('drain', onDrain);
    dest.on('error', onError);
    dest.on('close', onClose);
  });
}

/** virStorageVolDownload + virStreamRecv… + virStreamFinish; virStreamAbort on any failure. */
export async function downloadVolume(
  connection: Invoker,
  volume: NativeHandle,
  dest: Writable,
  options?: TransferOptions,
): Promise<number> {
  const deadline = transferDeadline(connection, options);
  const stream = await connection.invoke(
    'volDownload',
    [volume, options?.offset ?? 0, options?.length ?? 0, options?.flags ?? 0],
    deadline.remaining(),
    'long',
  );
  let received = 0;
  try {
    for (;;) {
      const chunk = await connection.invoke('streamRecv', [stream, CHUNK_BYTES], deadline.remaining(), 'long');
      if (chunk === null) break;
      received += chunk.length;
      if (dest.destroyed) throw new LibvirtError(ErrorCode.OPERATION_ABORTED, 'download destination was destroyed');
      if (!dest.write(chunk)) await waitForDrain(dest);
    }
    await connection.invoke('streamFinish', [stream], deadline.remaining(), 'long');
  } catch (err) {
    await abortQuietly(connection, stream);
    throw err;
  }
  await new Promise<void>((resolve, reject) => {
    dest.once('error', reject);
    dest.end(() => {
      dest.off('error', reject);
      resolve();
    });
  });
  return received;
}
