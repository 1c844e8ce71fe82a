/** Undoing something that is gone already (removed by someone else meanwhile) is done, not a failure. */
import { LibvirtError } from '../../libvirt/index.js';

export async function ignoringMissing(work: Promise<unknown>, ...missing: number[]): Promise<void> {
  try {
    await work;
  } catch (err) {
    if (!(err instanceof LibvirtError && missing.includes(err.code))) throw err;
  }
}
