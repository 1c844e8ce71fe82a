import { readInteger } from './fields.js';
import type { LabeledBlock } from './labeled-blocks.js';
import type { PlanConfig } from './types.js';
import { reportUnknownKeys } from './unknown-keys.js';

export const PLAN_KEYS = ['memory', 'cpus', 'disk_size'] as const;

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
// Upper bounds keep the byte counts exact JavaScript integers.
export const PLAN_LIMITS = {
  memoryMiB: Math.floor(Number.MAX_SAFE_INTEGER / MIB),
  cpus: 4096,
  diskSizeGiB: Math.floor(Number.MAX_SAFE_INTEGER / GIB),
};

export function readPlan({ name, reader }: LabeledBlock): PlanConfig | undefined {
  const before = reader.problems.list.length;
  reportUnknownKeys(reader.body, PLAN_KEYS, reader.prefix, reader.problems);
  const memoryMiB = readInteger(reader, 'memory', { required: true, min: 1, max: PLAN_LIMITS.memoryMiB, what: 'memory in MiB' });
  const cpus = readInteger(reader, 'cpus', { required: true, min: 1, max: PLAN_LIMITS.cpus, what: 'number of virtual CPUs' });
  const diskSizeGiB = readInteger(reader, 'disk_size', {
    required: true,
    min: 1,
    max: PLAN_LIMITS.diskSizeGiB,
    what: 'root disk size in GiB',
  });
  if (reader.problems.list.length !== before || memoryMiB === undefined || cpus === undefined || diskSizeGiB === undefined)
    return undefined;
  return { name, memoryMiB, cpus, diskSizeGiB, memoryBytes: memoryMiB * MIB, diskSizeBytes: diskSizeGiB * GIB };
}
