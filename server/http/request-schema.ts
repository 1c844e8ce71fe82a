/**
 * Request bodies described once, as JSON Schemas (TypeBox), and read by that description: the
 * OpenAPI document shows the same schemas the requests are checked against.
 *
 * A body is read in three steps: its fields are collected by name (request-fields.ts: names
 * matched without regard to case, repeats and unknown fields refused), each value is read as its
 * field's input kind says (a form's "on" is true, "4" is 4, "a, b" is two tags), and the result is
 * checked against the schema. A refusal is a 400 naming the field and what it must be.
 *
 * The field helpers put two annotations on their schemas (JSON Schema keeps unknown keywords as
 * annotations; OpenAPI shows them as extensions):
 *   x-must   what a value must be, as the refusal says it ("Cpus must be a whole number")
 *   x-input  how a form value, or a JSON string, is read: flag, whole-number, words, list, last
 */
import { Type, type Static, type TObject, type TProperties, type TSchema } from '@sinclair/typebox';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { ParsedBody } from './body.js';
import { HttpError } from './http-error.js';
import { requestFieldValues } from './request-fields.js';

export type InputKind = 'flag' | 'whole-number' | 'words' | 'list' | 'last';

interface Annotations {
  'x-must'?: string;
  /** Show the refused value after the message. */
  'x-echo'?: boolean;
  'x-input'?: InputKind;
}

type Annotated = TSchema & Annotations;

const FLAG_TRUE = new Set(['true', 'on', '1']);
const FLAG_FALSE = new Set(['false', 'off', '0', '']);

/** The schemas of request fields, with what their refusals say. */
export const Field = {
  text: (description: string, must = 'text') => Type.String({ description, 'x-must': must }),
  flag: (description: string, absent: boolean) =>
    Type.Boolean({ description, default: absent, 'x-must': 'true or false', 'x-echo': true, 'x-input': 'flag' }),
  /** A flag a form may send more than once (a checkbox after its hidden "false"): the last one counts. */
  lastFlag: (description: string) => Type.Boolean({ description, 'x-must': 'true or false', 'x-echo': true, 'x-input': 'last' }),
  wholeNumber: (description: string) =>
    Type.Integer({
      description,
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      'x-must': 'a whole number',
      'x-echo': true,
      'x-input': 'whole-number',
    }),
  oneOf: <V extends string>(values: readonly V[], description: string) =>
    Type.Union(
      values.map((value) => Type.Literal(value)),
      { description, 'x-must': `one of ${values.join(', ')}`, 'x-echo': true },
    ),
  /** Words (tags): a JSON array of strings, or text separated by commas or spaces. */
  words: (description: string, must: string) =>
    Type.Array(Type.String(), { description, 'x-must': must, 'x-echo': true, 'x-input': 'words' }),
  /** Names: one as a string, or a JSON array; a form repeats the field. */
  list: (description: string) =>
    Type.Union([Type.String(), Type.Array(Type.String())], { description, 'x-must': 'text', 'x-input': 'list' }),
};

/** A request body: its JSON schema, and how forms and old spellings reach it. */
export interface BodySpec<S extends TObject = TObject> {
  schema: S;
  /** Fields only a form sends (a JSON body naming one is refused as unknown). */
  formOnly?: TProperties;
  /** Other spellings a JSON body may use: alias → field. */
  jsonAliases?: Readonly<Record<string, string>>;
  /** The allowed fields as refusals name them (default: the schema's fields, comma-separated). */
  described?: string;
}

/** A body's schema: these fields, each optional, no others. */
export function bodySchema<P extends TProperties>(properties: P, options: { description?: string } = {}) {
  return Type.Partial(Type.Object(properties), { additionalProperties: false, ...options });
}

/** The schema a form body of `spec` has: every field text, repeatable ones as lists. */
export function formSchema(spec: BodySpec): TObject {
  const fields = { ...spec.schema.properties, ...spec.formOnly };
  const properties: TProperties = {};
  for (const [name, schema] of Object.entries(fields)) {
    const { description } = schema as { description?: string };
    const input = (schema as Annotated)['x-input'];
    const text = Type.String({ ...(description ? { description } : {}) });
    properties[name] =
      input === 'words' || input === 'list' || input === 'last' ? Type.Union([text, Type.Array(Type.String())]) : text;
  }
  return Type.Partial(Type.Object(properties), { additionalProperties: false });
}

const ajv = new Ajv2020({ allErrors: false, strict: true, useDefaults: false });
ajv.addVocabulary(['x-must', 'x-echo', 'x-input']);

const compiled = new WeakMap<TSchema, ValidateFunction>();

/** The compiled check of `schema` (compiled once). */
export function validatorOf(schema: TSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

const checked = new WeakMap<BodySpec, TSchema>();

/** What a read body is checked against: the JSON schema, with the form-only fields when there are any. */
function checkedSchema(spec: BodySpec): TSchema {
  if (!spec.formOnly) return spec.schema;
  let schema = checked.get(spec);
  if (!schema) {
    schema = Type.Partial(Type.Object({ ...spec.schema.properties, ...spec.formOnly }), { additionalProperties: false });
    checked.set(spec, schema);
  }
  return schema;
}

/** Reads `body` by `spec`: its fields under their own names, each of its schema's type. */
export function readBodyFields<S extends TObject>(body: ParsedBody, spec: BodySpec<S>): Static<S> & Record<string, unknown> {
  const fields: Record<string, Annotated> = { ...spec.schema.properties, ...spec.formOnly };
  const names = Object.keys(fields);
  const repeatable = names.filter((name) => {
    const input = fields[name]!['x-input'];
    return input === 'words' || input === 'list' || input === 'last';
  });
  const values = requestFieldValues(body, names, {
    repeatable,
    formOnly: Object.keys(spec.formOnly ?? {}),
    jsonAliases: spec.jsonAliases,
    described: spec.described ?? Object.keys(spec.schema.properties).join(', '),
  });
  const read: Record<string, unknown> = {};
  for (const [name, given] of values) {
    const schema = fields[name]!;
    const value = body.kind === 'form' ? formValue(schema, given as string[]) : jsonValue(schema, given[0]);
    if (value !== undefined) read[name] = value;
  }
  const validate = validatorOf(checkedSchema(spec));
  if (!validate(read)) throw new HttpError(400, refusal(validate.errors ?? [], fields, read));
  return read as Static<S> & Record<string, unknown>;
}

/** A form's values of one field, read by the field's input kind. */
function formValue(schema: Annotated, given: string[]): unknown {
  const input = schema['x-input'];
  if (input === 'words') return given.flatMap(splitWords);
  if (input === 'list') return given;
  const value = input === 'last' ? given[given.length - 1]! : given[0]!;
  return leniently(schema, value);
}

/** A JSON value: null is empty text for text; strings are read as a form's would be. */
function jsonValue(schema: Annotated, value: unknown): unknown {
  if (value === null && (schema as { type?: unknown }).type === 'string') return '';
  if (typeof value !== 'string') return value;
  if (schema['x-input'] === 'words') return splitWords(value);
  return leniently(schema, value);
}

function leniently(schema: Annotated, value: string): unknown {
  switch (schema['x-input']) {
    case 'flag':
    case 'last':
      return FLAG_TRUE.has(value) ? true : FLAG_FALSE.has(value) ? false : value;
    case 'whole-number':
      if (value.trim() === '') return undefined;
      return /^\d+$/.test(value.trim()) ? Number(value) : value;
    default:
      return value;
  }
}

function splitWords(text: string): string[] {
  return text.split(/[\s,]+/).filter((word) => word !== '');
}

/** The first problem, as "<field> must be <what the schema says>[, not <value>]". */
function refusal(errors: ErrorObject[], fields: Record<string, Annotated>, read: Record<string, unknown>): string {
  const error = errors[0];
  const field = error
    ? decodeURIComponent(error.instancePath.split('/')[1] ?? '')
        .replace(/~1/g, '/')
        .replace(/~0/g, '~')
    : '';
  const schema = fields[field];
  if (!error || !schema) return `the request body does not match its schema${error ? `: ${error.message ?? ''}` : ''}`;
  const must = schema['x-must'] ?? describeType(schema);
  return `${field} must be ${must}${schema['x-echo'] ? `, not ${JSON.stringify(read[field]).slice(0, 40)}` : ''}`;
}

function describeType(schema: TSchema): string {
  const type = (schema as { type?: unknown }).type;
  return typeof type === 'string' ? `of type ${type}` : 'as its schema says';
}
