import { loadNative } from './native.js';

/**
 * Returns to the system the memory glibc keeps for the process's threads after they freed it
 * (malloc_trim): what a bulk listing's helper threads, V8's compiler and GC threads and finished
 * worker threads leave behind. Tens of MB after a machine list of 1000 domains; a few ms to run.
 * False when nothing was returned, or on a system (or an addon built before this) without it.
 */
export function trimNativeMemory(): boolean {
  let trim: (() => boolean) | undefined;
  try {
    trim = loadNative().trimMemory;
  } catch {
    return false; // no addon: nothing native to trim
  }
  return typeof trim === 'function' ? trim() : false;
}
