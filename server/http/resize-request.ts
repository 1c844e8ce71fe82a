/**
 * A resize from a form or JSON: `Plan` (a plan's name), and/or `Cpus`, `MemoryMegabytes`,
 * `DiskSizeGigabytes` (the units of /api/plans/). Only the shape is checked here; the resize
 * service checks the values.
 */
import type { ResizeRequest } from '../core/resize.js';
import type { ParsedBody } from './body.js';
import { HttpError } from './http-error.js';

const FIELDS = ['Plan', 'Cpus', 'MemoryMegabytes', 'DiskSizeGigabytes'] as const;
const IGNORED = new Set(['csrf']);

function number(name: string, value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed =
    typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(parsed))
    throw new HttpError(400, `${name} must be a whole number, not ${JSON.stringify(value).slice(0, 40)}`);
  return parsed;
}

export function resizeRequestFromBody(body: ParsedBody, provider: string, id: string, by: string): ResizeRequest {
  const entries: [string, unknown][] =
    body.kind === 'form'
      ? body.fields
      : typeof body.value === 'object' && body.value !== null && !Array.isArray(body.value)
        ? Object.entries(body.value)
        : [['', undefined]];
  const fields = new Map<string, unknown>();
  for (const [name, value] of entries) {
    const key = name.toLowerCase();
    if (IGNORED.has(key)) continue;
    const known = FIELDS.find((field) => field.toLowerCase() === key);
    if (!known) throw new HttpError(400, `unknown field "${name.slice(0, 40)}"; the fields are ${FIELDS.join(', ')}`);
    if (fields.has(known)) throw new HttpError(400, `the field ${known} is given twice`);
    fields.set(known, value);
  }
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
