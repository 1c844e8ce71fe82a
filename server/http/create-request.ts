/**
 * The fields of a create-machine request, from a form (as vmango 0.6 took them, decoded like
 * gorilla/schema: names match case-insensitively, `SSHKey` repeats) or from a JSON document. Only
 * the body's shape is checked here (known fields, each given once, of the right JSON type); what
 * the values must be is the machine service's to check.
 *
 * The fields are CREATE_BODY's (the schema the API document shows); the reading stays this
 * module's own, because its refusals are worded as the create form's always were.
 */
import type { TSchema } from '@sinclair/typebox';
import type { CreateField, CreateMachineRequest } from '../core/requests.js';
import type { ParsedBody } from './body.js';
import { HttpError } from './http-error.js';
import { bodySchema, Field } from './request-schema.js';

export const CREATE_BODY = {
  schema: bodySchema({
    Name: Field.text('The machine name: a hostname label (1 to 63 of a-z, 0-9 and -, not starting or ending with -).'),
    Plan: Field.text("A plan's name (GET /api/plans/)."),
    Image: Field.text('An image id (GET /api/images/).'),
    Provider: Field.text('The hypervisor to create it on (GET /api/providers/).'),
    Userdata: Field.text('Cloud-init userdata for the config drive.'),
    SSHKey: Field.list('SSH key names (GET /api/keys/): one, or a list (also spelled SSHKeys); a form repeats the field.'),
  } satisfies Record<CreateField, TSchema>),
  jsonAliases: { SSHKeys: 'SSHKey' },
};

type Field = CreateField;

/** The fields that take one value (SSHKey repeats). */
type SingleField = Exclude<Field, 'SSHKey'>;
/** 0.6's form carried the CSRF token in a `CSRF` field; the API ignores it. */
const IGNORED_FIELDS = ['csrf'];
const FORM_FIELDS = 'Name, Plan, Image, Provider, Userdata, SSHKey (repeatable)';
const JSON_FIELDS = 'Name, Plan, Image, Provider, Userdata (strings), SSHKey or SSHKeys (a string or a list of strings)';

interface Collected {
  single: Partial<Record<SingleField, string>>;
  sshKeys: string[];
}

export function createRequestFromBody(body: ParsedBody, creator: string): CreateMachineRequest {
  const collected = body.kind === 'form' ? collectForm(body.fields) : collectJson(body.value);
  const { Name, Plan, Image, Provider, Userdata } = collected.single;
  return {
    provider: Provider ?? '',
    name: Name ?? '',
    plan: Plan ?? '',
    image: Image ?? '',
    sshKeys: collected.sshKeys,
    userdata: Userdata ?? '',
    creator,
  };
}

// Maps, not objects: a field called "constructor" or "__proto__" must not find Object's properties.
function fieldNamed(name: string, aliases: ReadonlyMap<string, Field>): Field | undefined {
  return aliases.get(name.toLowerCase());
}

const FORM_ALIASES: ReadonlyMap<string, Field> = new Map(
  (Object.keys(CREATE_BODY.schema.properties) as Field[]).map((field) => [field.toLowerCase(), field] as const),
);

function collectForm(fields: [string, string][]): Collected {
  const collected: Collected = { single: {}, sshKeys: [] };
  for (const [name, value] of fields) {
    if (IGNORED_FIELDS.includes(name.toLowerCase())) continue;
    const field = fieldNamed(name, FORM_ALIASES);
    if (field === undefined) throw new HttpError(400, `unknown form field "${clip(name)}"; the fields are ${FORM_FIELDS}`);
    if (field === 'SSHKey') collected.sshKeys.push(value);
    else setOnce(collected, field, value, 'form field');
  }
  return collected;
}

const JSON_ALIASES: ReadonlyMap<string, Field> = new Map([
  ...FORM_ALIASES,
  ...Object.entries(CREATE_BODY.jsonAliases).map(([alias, field]) => [alias.toLowerCase(), field as Field] as const),
]);

function collectJson(value: unknown): Collected {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, `the JSON body must be an object with the fields ${JSON_FIELDS}`);
  }
  const collected: Collected = { single: {}, sshKeys: [] };
  let keysFrom: string | undefined;
  for (const [name, item] of Object.entries(value)) {
    if (IGNORED_FIELDS.includes(name.toLowerCase())) continue;
    const field = fieldNamed(name, JSON_ALIASES);
    if (field === undefined) throw new HttpError(400, `unknown field "${clip(name)}"; the fields are ${JSON_FIELDS}`);
    if (item === null) continue;
    if (field === 'SSHKey') {
      if (keysFrom !== undefined)
        throw new HttpError(400, `the SSH keys are given twice ("${keysFrom}" and "${clip(name)}"); give one list`);
      keysFrom = name;
      collected.sshKeys = jsonKeyList(name, item);
      continue;
    }
    if (typeof item !== 'string') throw new HttpError(400, `field "${clip(name)}" must be a string, not ${jsonTypeOf(item)}`);
    setOnce(collected, field, item, 'field');
  }
  return collected;
}

function jsonKeyList(name: string, item: unknown): string[] {
  if (typeof item === 'string') return [item];
  if (Array.isArray(item) && item.every((key): key is string => typeof key === 'string')) return item;
  throw new HttpError(400, `field "${clip(name)}" must be a list of SSH key names (strings), not ${jsonTypeOf(item)}`);
}

function setOnce(collected: Collected, field: SingleField, value: string, what: string): void {
  if (collected.single[field] !== undefined)
    throw new HttpError(400, `${what} "${field}" is given more than once; it takes one value`);
  collected.single[field] = value;
}

function jsonTypeOf(value: unknown): string {
  if (Array.isArray(value)) return value.every((v) => typeof v === 'string') ? 'a list' : 'a list with non-string items';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
