/**
 * JSON written the way vmango 0.6 wrote it (Go's json.MarshalIndent with two spaces, via
 * unrolled/render's IndentJSON): strings escaped as Go escapes them (`<`, `>`, `&` as \u003c…),
 * object keys in the order given. Go sorted map keys; callers build such objects with
 * `sortedByKey` so the order matches.
 */
import { quoteString, type QuotingRules } from '../quoted-string.js';

/** Go's encoding/json: `<`, `>`, `&`, U+2028, U+2029 and control characters as \u escapes. */
const GO_JSON_RULES: QuotingRules = {
  escapes: (code) => code < 0x20 || code === 0x3c || code === 0x3e || code === 0x26 || code === 0x2028 || code === 0x2029,
  // Go sees a lone surrogate as invalid UTF-8 and writes the replacement character itself.
  loneSurrogate: '\ufffd',
};
/** A character encodeGoJsonString does not copy as is (surrogates, even paired, take the careful path). */
const NEEDS_ESCAPING = /["\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]/;

/** A JSON string exactly as Go's encoding/json writes it. */
export function encodeGoJsonString(value: string): string {
  // Most strings (names, ids, paths) have nothing to escape: written as they are.
  return NEEDS_ESCAPING.test(value) ? quoteString(value, GO_JSON_RULES) : `"${value}"`;
}

/**
 * What formatGoJson writes: strings, finite numbers, booleans, null, Dates (as ISO strings), arrays,
 * Maps with string keys and plain objects of these (interfaces too, hence `unknown` inside).
 */
export type GoJsonValue = unknown;

const INDENT = '  ';

export function formatGoJson(value: GoJsonValue): string {
  return write(value, '');
}

/**
 * `value` already written for one indent (a cached fragment, see machine-list-json.ts); written
 * as is at that indent, and formatted afresh at any other.
 */
export class PreformattedJson {
  constructor(
    readonly indent: string,
    readonly text: string,
    readonly value: () => GoJsonValue,
  ) {}
}

/** `value` written at `indent` (the indent of the line it starts on), as formatGoJson writes it there. */
export function formatGoJsonAt(value: GoJsonValue, indent: string): string {
  return write(value, indent);
}

function write(value: unknown, indent: string): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof PreformattedJson) return value.indent === indent ? value.text : write(value.value(), indent);
  if (typeof value === 'string') return encodeGoJsonString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot write ${value} as JSON`);
    return String(value);
  }
  if (value instanceof Date) return encodeGoJsonString(value.toISOString());
  if (typeof value !== 'object') throw new TypeError(`cannot write a ${typeof value} as JSON`);
  const inner = indent + INDENT;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item: unknown) => inner + write(item, inner)).join(',\n')}\n${indent}]`;
  }
  // Entries whose value is undefined are left out, as JSON.stringify does.
  const all = value instanceof Map ? [...(value as ReadonlyMap<string, unknown>)] : Object.entries(value);
  const entries = all.filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${encodeGoJsonString(k)}: ${write(v, inner)}`).join(',\n')}\n${indent}}`;
}

/**
 * The entries in Go's map order (keys sorted bytewise). A Map, not an object: JS objects put
 * integer-like keys first and treat `__proto__` specially, and provider names may be either.
 */
export function sortedByKey<T>(entries: Iterable<readonly [string, T]>): Map<string, T> {
  return new Map([...entries].sort(([a], [b]) => compareBytewise(a, b)));
}

function compareBytewise(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
