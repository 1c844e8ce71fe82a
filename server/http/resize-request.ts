/**
 * A resize from a form or JSON: `Plan` (a plan's name), and/or `Cpus`, `MemoryMegabytes`,
 * `DiskSizeGigabytes` (the units of /api/plans/). Only the shape is checked here; the resize
 * service checks the values.
 */
import type { ResizeRequest } from '../core/resize.js';
import type { ParsedBody } from './body.js';
import { bodySchema, Field, readBodyFields } from './request-schema.js';

export const RESIZE_BODY = {
  schema: bodySchema({
    Plan: Field.text("A plan's name (GET /api/plans/): its CPUs, memory and disk size.", 'a plan name'),
    Cpus: Field.wholeNumber('Virtual CPUs, 1 to 256 (applied to a running machine when it allows).'),
    MemoryMegabytes: Field.wholeNumber('Memory in MiB, at least 64 (more than the maximum: at the next boot).'),
    DiskSizeGigabytes: Field.wholeNumber('Root disk size in GiB; only grows.'),
  }),
};

export function resizeRequestFromBody(body: ParsedBody, provider: string, id: string, by: string): ResizeRequest {
  const { Plan, Cpus, MemoryMegabytes, DiskSizeGigabytes } = readBodyFields(body, RESIZE_BODY);
  return {
    provider,
    id,
    by,
    ...(Plan ? { plan: Plan } : {}),
    ...(Cpus !== undefined ? { cpus: Cpus } : {}),
    ...(MemoryMegabytes !== undefined ? { memoryBytes: MemoryMegabytes * 1024 ** 2 } : {}),
    ...(DiskSizeGigabytes !== undefined ? { diskBytes: DiskSizeGigabytes * 1024 ** 3 } : {}),
  };
}
