/**
 * A change to a machine's properties, from a form (the machine page) or a JSON document (the API):
 *
 *   Tags        the whole set: a JSON array, or in a form a list separated by commas or spaces
 *   AddTags     tags to add (same spellings); RemoveTags: tags to remove
 *   Label       JSON {"Name": "production", "Colour": "#2f855a"}, or null / "" to remove it;
 *               a form sends LabelName and LabelColour (LabelName empty removes it)
 *   Description text; "" clears it
 *   Autostart   true or false (a form's checkbox sends a hidden false before it: the last value counts)
 *
 * Only the shape is checked here; the rules for each value are the service's (machine-properties.ts).
 */
import type { MachineLabel, PropertiesChange } from '../core/machine-properties.js';
import { PROPERTIES_FIELDS } from '../core/requests.js';
import type { ParsedBody } from './body.js';
import { HttpError } from './http-error.js';

const FORM_ONLY = ['LabelName', 'LabelColour'] as const;
const IGNORED = new Set(['csrf']);
const KNOWN = new Map([...PROPERTIES_FIELDS, ...FORM_ONLY].map((name) => [name.toLowerCase(), name]));
const REPEATABLE_IN_FORMS = new Set(['tags', 'addtags', 'removetags', 'autostart']);

function fieldList(): string {
  return PROPERTIES_FIELDS.join(', ');
}

function splitTags(text: string): string[] {
  return text.split(/[\s,]+/).filter((tag) => tag !== '');
}

function tagsOf(name: string, value: unknown): string[] {
  if (typeof value === 'string') return splitTags(value);
  if (Array.isArray(value) && value.every((tag) => typeof tag === 'string')) return value as string[];
  throw new HttpError(400, `${name} must be a list of tags (an array of strings), not ${JSON.stringify(value).slice(0, 40)}`);
}

function booleanOf(name: string, value: unknown): boolean {
  if (value === true || value === 'true' || value === 'on' || value === '1') return true;
  if (value === false || value === 'false' || value === 'off' || value === '0') return false;
  throw new HttpError(400, `${name} must be true or false, not ${JSON.stringify(value).slice(0, 40)}`);
}

function labelOf(value: unknown): MachineLabel | null {
  if (value === null || value === '') return null;
  if (typeof value === 'object' && !Array.isArray(value)) {
    const { Name, Colour, ...rest } = value as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0) throw new HttpError(400, `Label takes Name and Colour, not ${extra[0]!.slice(0, 40)}`);
    if (typeof Name === 'string' && typeof Colour === 'string') return { name: Name, colour: Colour };
  }
  throw new HttpError(400, 'Label must be {"Name": "…", "Colour": "#rrggbb"}, or null to remove it');
}

export function propertiesChangeFromBody(body: ParsedBody): PropertiesChange {
  const fields = new Map<string, unknown[]>();
  let entries: [string, unknown][];
  if (body.kind === 'form') entries = body.fields;
  else if (typeof body.value === 'object' && body.value !== null && !Array.isArray(body.value))
    entries = Object.entries(body.value);
  else throw new HttpError(400, `the request body must be a JSON object with any of ${fieldList()}`);
  for (const [name, value] of entries) {
    const key = name.toLowerCase();
    if (IGNORED.has(key)) continue;
    if (!KNOWN.has(key) || (body.kind === 'json' && FORM_ONLY.some((f) => f.toLowerCase() === key))) {
      throw new HttpError(400, `unknown field "${name.slice(0, 40)}"; the fields are ${fieldList()}`);
    }
    const values = fields.get(key) ?? [];
    if (values.length > 0 && !(body.kind === 'form' && REPEATABLE_IN_FORMS.has(key))) {
      throw new HttpError(400, `the field ${name.slice(0, 40)} is given twice`);
    }
    values.push(value);
    fields.set(key, values);
  }
  const change: PropertiesChange = {};
  const all = (key: string): unknown[] | undefined => fields.get(key);
  const tags = (key: string, name: string): string[] | undefined => all(key)?.flatMap((value) => tagsOf(name, value));
  const set = tags('tags', 'Tags');
  if (set) change.tags = set;
  const add = tags('addtags', 'AddTags');
  if (add) change.addTags = add;
  const remove = tags('removetags', 'RemoveTags');
  if (remove) change.removeTags = remove;
  if (fields.has('label')) change.label = labelOf(all('label')![0]);
  if (fields.has('labelname') || fields.has('labelcolour')) {
    if (fields.has('label')) throw new HttpError(400, 'send Label, or LabelName and LabelColour, not both');
    const name = String(all('labelname')?.[0] ?? '');
    change.label = name.trim() === '' ? null : { name, colour: String(all('labelcolour')?.[0] ?? '') };
  }
  if (fields.has('description')) {
    const description = all('description')![0];
    if (typeof description !== 'string') throw new HttpError(400, 'Description must be text');
    change.description = description;
  }
  const autostart = all('autostart');
  if (autostart) change.autostart = booleanOf('Autostart', autostart[autostart.length - 1]);
  if (Object.keys(change).length === 0) throw new HttpError(400, `nothing to change; send any of ${fieldList()}`);
  return change;
}
