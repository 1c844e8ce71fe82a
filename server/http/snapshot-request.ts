/**
 * Snapshot requests from a form (the machine page) or JSON (the API): a create names the snapshot
 * (`Name`, optional: a name from the time) and describes it (`Description`); a revert of a
 * running machine must say `Force` (true), since it discards what the machine did since.
 * Only the shape is checked here; the values are the snapshot service's to check.
 */
import type { ParsedBody } from './body.js';
import { HttpError } from './http-error.js';

const IGNORED = new Set(['csrf']);

function fieldsOf(body: ParsedBody, allowed: readonly string[]): Map<string, unknown> {
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

function text(fields: Map<string, unknown>, name: string): string {
  const value = fields.get(name) ?? '';
  if (typeof value !== 'string') throw new HttpError(400, `${name} must be text`);
  return value;
}

export function snapshotCreateFromBody(body: ParsedBody): { name: string; description: string } {
  const fields = fieldsOf(body, ['Name', 'Description']);
  return { name: text(fields, 'Name'), description: text(fields, 'Description') };
}

export function snapshotRevertFromBody(body: ParsedBody): { force: boolean } {
  const value = fieldsOf(body, ['Force']).get('Force');
  if (value === undefined || value === false || value === 'false' || value === '') return { force: false };
  if (value === true || value === 'true' || value === 'on' || value === '1') return { force: true };
  throw new HttpError(400, `Force must be true or false, not ${JSON.stringify(value).slice(0, 40)}`);
}
