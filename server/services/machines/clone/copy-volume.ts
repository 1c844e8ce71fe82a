/**
 * Copies a volume's file, byte for byte, into another volume of the same hypervisor: the source's
 * download stream piped into the target's upload stream through the panel, with back-pressure
 * (never more than a few MiB in memory). This is how a linked clone gets its source's own layer:
 * libvirt's virStorageVolCreateXMLFrom always flattens a qcow2 overlay (qemu-img convert without
 * a backing file), and libvirt has no call that copies a file as it is.
 *
 * Each stream holds a side connection of its own until it ends (CVE-2024-4418: one thread per
 * connection); the caller runs one copy at a time per hypervisor so that two streams waiting on
 * each other can never take every side connection.
 */
import { PassThrough } from 'node:stream';
import type { StorageVolume } from '../../../libvirt/index.js';

const BUFFER_BYTES = 4 * 1024 * 1024;

export async function copyVolumeBytes(source: StorageVolume, target: StorageVolume): Promise<number> {
  const pipe = new PassThrough({ highWaterMark: BUFFER_BYTES });
  const failed = (err: unknown): never => {
    pipe.destroy(err instanceof Error ? err : new Error(String(err)));
    throw err;
  };
  // The upload is asked for first: it is the one the download waits on once the pipe is full.
  const uploading = target.upload(pipe).catch(failed);
  const downloading = source.download(pipe).catch(failed);
  const [sent, received] = await Promise.allSettled([uploading, downloading]);
  if (received.status === 'rejected') throw received.reason;
  if (sent.status === 'rejected') throw sent.reason;
  if (sent.value !== received.value) {
    throw new Error(`copied ${sent.value} of the ${received.value} bytes read from volume ${source.name}`);
  }
  return sent.value;
}
