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
import { requestFieldValues } from './request-fields.js';

const FORM_ONLY = ['LabelName', 'LabelColour'] as const;
const REPEATABLE_IN_FORMS = ['Tags', 'AddTags', 'RemoveTags', 'Autostart'];

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
  const fields = requestFieldValues(body, [...PROPERTIES_FIELDS, ...FORM_ONLY], {
    repeatable: REPEATABLE_IN_FORMS,
    formOnly: FORM_ONLY,
    described: fieldList(),
  });
  const change: PropertiesChange = {};
  const all = (key: string): unknown[] | undefined => fields.get(key);
  const tags = (key: string, name: string): string[] | undefined => all(key)?.flatMap((value) => tagsOf(name, value));
  const set = tags('Tags', 'Tags');
  if (set) change.tags = set;
  const add = tags('AddTags', 'AddTags');
  if (add) change.addTags = add;
  const remove = tags('RemoveTags', 'RemoveTags');
  if (remove) change.removeTags = remove;
  if (fields.has('Label')) change.label = labelOf(all('Label')![0]);
  if (fields.has('LabelName') || fields.has('LabelColour')) {
    if (fields.has('Label')) throw new HttpError(400, 'send Label, or LabelName and LabelColour, not both');
    const name = String(all('LabelName')?.[0] ?? '');
    change.label = name.trim() === '' ? null : { name, colour: String(all('LabelColour')?.[0] ?? '') };
  }
  if (fields.has('Description')) {
    const description = all('Description')![0];
    if (typeof description !== 'string') throw new HttpError(400, 'Description must be text');
    change.description = description;
  }
  const autostart = all('Autostart');
  if (autostart) change.autostart = booleanOf('Autostart', autostart[autostart.length - 1]);
  if (Object.keys(change).length === 0) throw new HttpError(400, `nothing to change; send any of ${fieldList()}`);
  return change;
}
