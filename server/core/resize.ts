/**
 * Resizing a machine: to another plan, or to explicit CPUs, memory and disk. CPUs and memory go to
 * the persistent definition (the next boot) and, where the running definition leaves room, to the
 * running machine at once; a disk only grows (the guest's filesystem follows at its next boot,
 * through cloud-init's resizefs).
 */
import type { Machine } from './machine.js';

export const MIN_MEMORY_BYTES = 64 * 1024 ** 2;
export const MAX_CPUS = 256;

export interface ResizeRequest {
  provider: string;
  id: string;
  /** A plan's name: its CPUs, memory and disk, unless given below. */
  plan?: string;
  cpus?: number;
  memoryBytes?: number;
  diskBytes?: number;
  by: string;
}

export type ResizedPart = 'cpus' | 'memory' | 'disk';

export interface ResizeResult {
  machine: Machine;
  /** What the running machine has now. */
  appliedNow: ResizedPart[];
  /** What it gets when it next boots (all of it, for a stopped machine). */
  atNextBoot: ResizedPart[];
}

export interface ResizeService {
  resizeMachine(request: ResizeRequest): Promise<ResizeResult>;
}
