/** Undoing something that is gone already (removed by someone else meanwhile) is done, not a failure. */
import { LibvirtError } from '../../libvirt/index.js';

export async function ignoringMissing(work: Promise<unknown>, ...missing: number[]): Promise<void> {
  await orMissing(work, ...missing);
}

/** What `work` gives, or undefined when libvirt says the object is missing (one of `missing`). */
export async function orMissing<T>(work: Promise<T>, ...missing: number[]): Promise<T | undefined> {
  try {
    return await work;
  } catch (err) {
    if (!(err instanceof LibvirtError && missing.includes(err.code))) throw err;
    return undefined;
  }
}
