/**
 * A resize from a form or JSON: `Plan` (a plan's name), and/or `Cpus`, `MemoryMegabytes`,
 * `DiskSizeGigabytes` (the units of /api/plans/). Only the shape is checked here; the resize
 * service checks the values.
 */
import type { ResizeRequest } from '../core/resize.js';
import type { ParsedBody } from './body.js';
import { HttpError } from './http-error.js';
import { requestFields } from './request-fields.js';

const FIELDS = ['Plan', 'Cpus', 'MemoryMegabytes', 'DiskSizeGigabytes'] as const;

function number(name: string, value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed =
    typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(parsed))
    throw new HttpError(400, `${name} must be a whole number, not ${JSON.stringify(value).slice(0, 40)}`);
  return parsed;
}

export function resizeRequestFromBody(body: ParsedBody, provider: string, id: string, by: string): ResizeRequest {
  const fields = requestFields(body, FIELDS);
  const plan = fields.get('Plan');
  if (plan !== undefined && typeof plan !== 'string') throw new HttpError(400, 'Plan must be a plan name');
  const cpus = number('Cpus', fields.get('Cpus'));
  const memory = number('MemoryMegabytes', fields.get('MemoryMegabytes'));
  const disk = number('DiskSizeGigabytes', fields.get('DiskSizeGigabytes'));
  return {
    provider,
    id,
    by,
    ...(plan ? { plan } : {}),
    ...(cpus !== undefined ? { cpus } : {}),
    ...(memory !== undefined ? { memoryBytes: memory * 1024 ** 2 } : {}),
    ...(disk !== undefined ? { diskBytes: disk * 1024 ** 3 } : {}),
  };
}
