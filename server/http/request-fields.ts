/**
 * The named fields of a small request from a form (the machine page) or JSON (the API): names
 * matched without regard to case, every unknown or repeated field refused, naming what is allowed.
 */
import type { ParsedBody } from './body.js';
import { HttpError } from './http-error.js';

const IGNORED = new Set(['csrf']);

export function requestFields(body: ParsedBody, allowed: readonly string[]): Map<string, unknown> {
  const entries: [string, unknown][] =
    body.kind === 'form'
      ? body.fields
      : typeof body.value === 'object' && body.value !== null && !Array.isArray(body.value)
        ? Object.entries(body.value)
        : notAnObject(allowed);
  const fields = new Map<string, unknown>();
  for (const [name, value] of entries) {
    const key = name.toLowerCase();
    if (IGNORED.has(key)) continue;
    const known = allowed.find((field) => field.toLowerCase() === key);
    if (!known) throw new HttpError(400, `unknown field "${name.slice(0, 40)}"; the fields are ${allowed.join(', ')}`);
    if (fields.has(known)) throw new HttpError(400, `the field ${known} is given twice`);
    fields.set(known, value);
  }
  return fields;
}

function notAnObject(allowed: readonly string[]): never {
  throw new HttpError(400, `the request body must be a JSON object with ${allowed.join(', ')}`);
}

/** A text field ('' when absent). */
export function textField(fields: Map<string, unknown>, name: string): string {
  const value = fields.get(name) ?? '';
  if (typeof value !== 'string') throw new HttpError(400, `${name} must be text`);
  return value;
}

/** A yes/no field: JSON booleans, or a form's "true"/"on"/"1" and "false"/"0"/""; `absent` when not given. */
export function flagField(fields: Map<string, unknown>, name: string, absent: boolean): boolean {
  const value = fields.get(name);
  if (value === undefined) return absent;
  if (value === false || value === 'false' || value === '' || value === '0') return false;
  if (value === true || value === 'true' || value === 'on' || value === '1') return true;
  throw new HttpError(400, `${name} must be true or false, not ${JSON.stringify(value).slice(0, 40)}`);
}
