/**
 * The named fields of a small request from a form (the machine page) or JSON (the API): names
 * matched without regard to case (and through the aliases given), the CSRF token skipped, every
 * unknown or repeated field refused, naming what is allowed. A repeatable field may come many
 * times in a form (a JSON body gives it once, as a list when it has many values).
 */
import type { ParsedBody } from './body.js';
import { HttpError } from './http-error.js';

const IGNORED = new Set(['csrf']);

export interface FieldRules {
  /** Fields a form may repeat; their every value is kept, in order. */
  repeatable?: readonly string[];
  /** Other spellings a JSON body may use: alias → field. */
  jsonAliases?: Readonly<Record<string, string>>;
  /** Fields only a form sends (a JSON body naming one is refused as unknown). */
  formOnly?: readonly string[];
  /** The allowed fields as errors name them (default: `allowed`, comma-separated). */
  described?: string;
}

/** Every value given for each field, under the field's own spelling. */
export function requestFieldValues(body: ParsedBody, allowed: readonly string[], rules: FieldRules = {}): Map<string, unknown[]> {
  const described = rules.described ?? allowed.join(', ');
  const entries: [string, unknown][] =
    body.kind === 'form'
      ? body.fields
      : typeof body.value === 'object' && body.value !== null && !Array.isArray(body.value)
        ? Object.entries(body.value)
        : notAnObject(described);
  // Maps, not objects: a field called "constructor" or "__proto__" must not find Object's properties.
  const names = new Map<string, string>();
  for (const field of allowed) {
    if (body.kind === 'form' || !rules.formOnly?.includes(field)) names.set(field.toLowerCase(), field);
  }
  if (body.kind === 'json') {
    for (const [alias, field] of Object.entries(rules.jsonAliases ?? {})) names.set(alias.toLowerCase(), field);
  }
  const fields = new Map<string, unknown[]>();
  for (const [name, value] of entries) {
    const key = name.toLowerCase();
    if (IGNORED.has(key)) continue;
    const known = names.get(key);
    if (known === undefined) throw new HttpError(400, `unknown field "${name.slice(0, 40)}"; the fields are ${described}`);
    const values = fields.get(known);
    if (values === undefined) fields.set(known, [value]);
    else if (body.kind === 'form' && rules.repeatable?.includes(known)) values.push(value);
    else throw new HttpError(400, `the field ${known} is given twice`);
  }
  return fields;
}

/** The one value given for each field. */
export function requestFields(body: ParsedBody, allowed: readonly string[], rules: FieldRules = {}): Map<string, unknown> {
  return new Map([...requestFieldValues(body, allowed, rules)].map(([field, values]) => [field, values[0]]));
}

function notAnObject(described: string): never {
  throw new HttpError(400, `the request body must be a JSON object with ${described}`);
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
