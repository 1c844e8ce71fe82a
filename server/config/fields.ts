import { describeValue } from './describe-value.js';
import type { Problems } from './problems.js';

/** A block (or the top level) whose keys are being read. */
export interface BlockReader {
  body: Record<string, unknown>;
  /** Key path of the block, '' for the top level. */
  prefix: string;
  problems: Problems;
}

export function keyPath(block: BlockReader, key: string): string {
  return block.prefix ? `${block.prefix}.${key}` : key;
}

/** The key's value, or undefined when absent or null (null means "not set" in HCL). */
function valueOf(block: BlockReader, key: string): unknown {
  return Object.hasOwn(block.body, key) ? (block.body[key] ?? undefined) : undefined;
}

function missing(block: BlockReader, key: string, what: string): void {
  block.problems.add(keyPath(block, key), `required: set it to ${what}`);
}

// hcl2json renders any expression that is not a literal (a variable, arithmetic, a function call,
// an interpolation) as the expression's source text wrapped in ${…}; nothing here evaluates them.
const EXPRESSION = /[$%]\{/;

export interface StringOptions {
  required?: boolean;
  /** How to describe a valid value, e.g. 'a libvirt storage pool name'. */
  what: string;
  allowEmpty?: boolean;
}

export function readString(block: BlockReader, key: string, options: StringOptions): string | undefined {
  const value = valueOf(block, key);
  if (value === undefined) {
    if (options.required) missing(block, key, options.what);
    return undefined;
  }
  if (typeof value !== 'string') {
    block.problems.add(keyPath(block, key), `must be a quoted string (${options.what}), got ${describeValue(value)}`);
    return undefined;
  }
  if (EXPRESSION.test(value)) {
    block.problems.add(
      keyPath(block, key),
      `expressions, variables and \${…}/%{…} interpolation are not supported: write a plain quoted string (${options.what})`,
    );
    return undefined;
  }
  if (value === '' && !options.allowEmpty) {
    block.problems.add(keyPath(block, key), `must not be empty: set it to ${options.what}`);
    return undefined;
  }
  return value;
}

export function readBoolean(block: BlockReader, key: string): boolean | undefined {
  const value = valueOf(block, key);
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') {
    block.problems.add(keyPath(block, key), `must be true or false (unquoted), got ${describeValue(value)}`);
    return undefined;
  }
  return value;
}

export interface IntegerOptions {
  required?: boolean;
  min: number;
  max: number;
  /** e.g. 'memory in MiB'. */
  what: string;
}

export function readInteger(block: BlockReader, key: string, options: IntegerOptions): number | undefined {
  const value = valueOf(block, key);
  const allowed = `a whole number from ${options.min} to ${options.max} (${options.what}), without quotes`;
  if (value === undefined) {
    if (options.required) missing(block, key, allowed);
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < options.min || value > options.max) {
    block.problems.add(keyPath(block, key), `must be ${allowed}, got ${describeValue(value)}`);
    return undefined;
  }
  return value;
}

export function readStringList(block: BlockReader, key: string, itemWhat: string): string[] | undefined {
  const value = valueOf(block, key);
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    block.problems.add(
      keyPath(block, key),
      `must be a list of quoted strings (${itemWhat}), like ["a", "b"], got ${describeValue(value)}`,
    );
    return undefined;
  }
  const items: string[] = [];
  let ok = true;
  value.forEach((item: unknown, index) => {
    if (typeof item !== 'string' || item === '' || EXPRESSION.test(item)) {
      block.problems.add(
        `${keyPath(block, key)}[${index}]`,
        `must be a non-empty plain quoted string (${itemWhat}), got ${describeValue(item)}`,
      );
      ok = false;
    } else {
      items.push(item);
    }
  });
  return ok ? items : undefined;
}

export interface DurationOptions {
  defaultMs: number;
  /** Refuse "0" (for time limits, which must be positive). */
  positive?: boolean;
  parse: (text: string) => number;
}

/** Reads a Go-style duration string ("15s", "10m", "1h30m", "1d"). A bare 0 is accepted for "0". */
export function readDuration(block: BlockReader, key: string, options: DurationOptions): number | undefined {
  const value = valueOf(block, key);
  if (value === undefined) return options.defaultMs;
  const text = value === 0 ? '0' : value;
  if (typeof text !== 'string') {
    block.problems.add(
      keyPath(block, key),
      `must be a quoted duration like "15s", "10m", "1h30m" or "1d", got ${describeValue(value)}`,
    );
    return undefined;
  }
  let ms: number;
  try {
    ms = options.parse(text);
  } catch (err) {
    block.problems.add(keyPath(block, key), (err as Error).message);
    return undefined;
  }
  if (options.positive && ms <= 0) {
    block.problems.add(keyPath(block, key), `must be longer than 0, like "15s" or "10m", got ${JSON.stringify(text)}`);
    return undefined;
  }
  return ms;
}
