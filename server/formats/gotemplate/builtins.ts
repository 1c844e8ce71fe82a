/** The predefined functions of Go text/template (funcs.go), operating on the JS value model. */
import { sprint, sprintf, sprintln } from './fmt.js';
import { NO_VALUE, kindOf, scalarValue, toBigInt, typeName, type Value } from './gotypes.js';
import { GoFunc, GoNumber } from './values.js';

/** An error a builtin returns; the evaluator reports it as `error calling NAME: message`. */
export class BuiltinError extends Error {}

/** How a builtin's parameters are typed in Go: reflect.Value, an empty interface, or a string. */
export type ParamType = 'value' | 'any' | 'string';

export interface Builtin {
  params: ParamType[];
  variadic: boolean;
  fn: (args: Value[]) => Value;
}

const invalid = (v: Value): boolean => v === NO_VALUE || v === null || v === undefined;

type BasicKind = 'invalid' | 'bool' | 'int' | 'uint' | 'float' | 'string' | 'complex';

function basicKind(v: Value): BasicKind {
  const k = kindOf(v);
  switch (k) {
    case 'bool':
    case 'int':
    case 'uint':
    case 'float':
    case 'string':
      return k;
  }
  return 'invalid';
}

function num(v: Value): number | bigint {
  return scalarValue(v) as number | bigint;
}

function isNilish(v: Value): boolean {
  return invalid(v) || kindOf(v) === 'nilptr';
}

function structEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (Object.getPrototypeOf(a) !== Object.prototype || Object.getPrototypeOf(b) !== Object.prototype) return false;
  const ea = Object.entries(a as object);
  const eb = Object.entries(b as object);
  if (ea.length !== eb.length) return false;
  return ea.every(([k, v], i) => {
    const [kb, vb] = eb[i]!;
    if (k !== kb) return false;
    const ka = basicKind(v);
    if (ka !== 'invalid') return ka === basicKind(vb) && scalarValue(v) === scalarValue(vb);
    if (invalid(v) || invalid(vb)) return invalid(v) && invalid(vb);
    return typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map) && structEqual(v, vb);
  });
}

export function eq(arg1: Value, ...arg2: Value[]): boolean {
  if (arg2.length === 0) throw new BuiltinError('missing argument for comparison');
  const k1 = basicKind(arg1);
  for (const arg of arg2) {
    const k2 = basicKind(arg);
    let truth = false;
    if (k1 !== k2) {
      if (k1 === 'int' && k2 === 'uint') truth = toBigInt(arg1) >= 0n && toBigInt(arg1) === toBigInt(arg);
      else if (k1 === 'uint' && k2 === 'int') truth = toBigInt(arg) >= 0n && toBigInt(arg1) === toBigInt(arg);
      else if (!invalid(arg1) && !invalid(arg)) throw new BuiltinError('incompatible types for comparison');
    } else {
      switch (k1) {
        case 'bool':
        case 'string':
          truth = scalarValue(arg1) === scalarValue(arg);
          break;
        case 'float':
          truth = Number(num(arg1)) === Number(num(arg));
          break;
        case 'int':
        case 'uint':
          truth = toBigInt(arg1) === toBigInt(arg);
          break;
        default: {
          const ka = kindOf(arg1);
          const kb = kindOf(arg);
          const sameKind =
            ka === kb ||
            invalid(arg1) ||
            invalid(arg) ||
            (ka === 'nilptr' && kb === 'struct') ||
            (ka === 'struct' && kb === 'nilptr');
          if (!sameKind) {
            throw new BuiltinError(
              `non-comparable types ${sprint([arg1])}: ${typeName(arg1)}, ${typeName(arg)}: ${sprint([arg])}`,
            );
          }
          if (isNilish(arg1) || isNilish(arg)) truth = isNilish(arg) === isNilish(arg1);
          else {
            if (kb === 'slice' || kb === 'map' || kb === 'func') {
              throw new BuiltinError(`non-comparable type ${sprint([arg])}: ${typeName(arg)}`);
            }
            truth = structEqual(arg1, arg);
          }
        }
      }
    }
    if (truth) return true;
  }
  return false;
}

export function lt(arg1: Value, arg2: Value): boolean {
  const k1 = basicKind(arg1);
  if (k1 === 'invalid') throw new BuiltinError('invalid type for comparison');
  const k2 = basicKind(arg2);
  if (k2 === 'invalid') throw new BuiltinError('invalid type for comparison');
  if (k1 !== k2) {
    if (k1 === 'int' && k2 === 'uint') return toBigInt(arg1) < 0n || toBigInt(arg1) < toBigInt(arg2);
    if (k1 === 'uint' && k2 === 'int') return toBigInt(arg2) >= 0n && toBigInt(arg1) < toBigInt(arg2);
    throw new BuiltinError('incompatible types for comparison');
  }
  switch (k1) {
    case 'bool':
      throw new BuiltinError('invalid type for comparison');
    case 'float':
      return Number(num(arg1)) < Number(num(arg2));
    case 'int':
    case 'uint':
      return toBigInt(arg1) < toBigInt(arg2);
    default: {
      const a = Buffer.from(String(scalarValue(arg1)), 'utf8');
      const b = Buffer.from(String(scalarValue(arg2)), 'utf8');
      return Buffer.compare(a, b) < 0;
    }
  }
}

const le = (a: Value, b: Value): boolean => lt(a, b) || eq(a, b);

export function truth(v: Value): boolean {
  if (invalid(v)) return false;
  switch (kindOf(v)) {
    case 'slice':
      return (v as unknown[]).length > 0;
    case 'map':
      return (v as Map<unknown, unknown>).size > 0;
    case 'string':
      return String(scalarValue(v)).length > 0;
    case 'bool':
      return scalarValue(v) === true;
    case 'int':
    case 'uint':
      return toBigInt(v) !== 0n;
    case 'float':
      return Number(num(v)) !== 0;
    case 'nilptr':
      return false;
    default:
      return true;
  }
}

function utf8Len(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function indexArg(index: Value, cap: number): number {
  const k = kindOf(index);
  if (k === 'int' || k === 'uint') {
    const x = toBigInt(index);
    if (x < 0n || x > BigInt(cap)) throw new BuiltinError(`index out of range: ${x}`);
    return Number(x);
  }
  if (invalid(index)) throw new BuiltinError('cannot index slice/array with nil');
  throw new BuiltinError(`cannot index slice/array with type ${typeName(index)}`);
}

function index(item: Value, ...indexes: Value[]): Value {
  if (invalid(item)) throw new BuiltinError('index of untyped nil');
  for (const idx of indexes) {
    if (kindOf(item) === 'nilptr') throw new BuiltinError('index of nil pointer');
    if (invalid(item)) throw new BuiltinError('index of untyped nil');
    const k = kindOf(item);
    if (k === 'slice') {
      const a = item as unknown[];
      const x = indexArg(idx, a.length);
      if (x >= a.length) throw new BuiltinError('reflect: slice index out of range');
      item = a[x] ?? null;
    } else if (k === 'string') {
      const b = Buffer.from(String(scalarValue(item)), 'utf8');
      const x = indexArg(idx, b.length);
      if (x >= b.length) throw new BuiltinError('reflect: string index out of range');
      item = new GoNumber(b[x]!, 'uint8');
    } else if (k === 'map') {
      const m = item as Map<unknown, unknown>;
      const keyType = mapKeyType(m);
      if (invalid(idx)) throw new BuiltinError(`value is nil; should be of type ${keyType}`);
      if (keyType !== undefined && typeName(idx) !== keyType) {
        throw new BuiltinError(`value has type ${typeName(idx)}; should be ${keyType}`);
      }
      const key = [...m.keys()].find((mk) => scalarValue(mk) === scalarValue(idx));
      item = key === undefined ? null : (m.get(key) ?? null);
    } else {
      throw new BuiltinError(`can't index item of type ${typeName(item)}`);
    }
  }
  return item;
}

function mapKeyType(m: Map<unknown, unknown>): string | undefined {
  for (const k of m.keys()) return typeName(k);
  return 'string';
}

function slice(item: Value, ...indexes: Value[]): Value {
  if (invalid(item)) throw new BuiltinError('slice of untyped nil');
  if (indexes.length > 3) throw new BuiltinError(`too many slice indexes: ${indexes.length}`);
  const k = kindOf(item);
  let len: number;
  if (k === 'string') {
    if (indexes.length === 3) throw new BuiltinError('cannot 3-index slice a string');
    len = utf8Len(String(scalarValue(item)));
  } else if (k === 'slice') {
    len = (item as unknown[]).length;
  } else {
    throw new BuiltinError(`can't slice item of type ${typeName(item)}`);
  }
  const idx = [0, len, len];
  indexes.forEach((ix, i) => {
    idx[i] = indexArg(ix, len);
  });
  if (idx[0]! > idx[1]!) throw new BuiltinError(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1]! > idx[2]!) throw new BuiltinError(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (k === 'string') {
    const b = Buffer.from(String(scalarValue(item)), 'utf8');
    return b.subarray(idx[0], idx[1]).toString('utf8');
  }
  return (item as unknown[]).slice(idx[0], idx[1]);
}

function length(item: Value): number {
  if (kindOf(item) === 'nilptr' || item === null) throw new BuiltinError('len of nil pointer');
  if (invalid(item)) throw new BuiltinError('reflect: call of reflect.Value.Type on zero Value');
  switch (kindOf(item)) {
    case 'slice':
      return (item as unknown[]).length;
    case 'map':
      return (item as Map<unknown, unknown>).size;
    case 'string':
      return utf8Len(String(scalarValue(item)));
  }
  throw new BuiltinError(`len of type ${typeName(item)}`);
}

function call(fn: Value, ...args: Value[]): Value {
  if (invalid(fn)) throw new BuiltinError('call of nil');
  if (fn instanceof GoFunc) fn = fn.fn;
  if (typeof fn !== 'function') throw new BuiltinError(`non-function of type ${typeName(fn)}`);
  if (args.length !== fn.length) throw new BuiltinError(`wrong number of args: got ${args.length} want ${fn.length}`);
  try {
    return (fn as (...a: unknown[]) => unknown)(...args.map((a) => (a === NO_VALUE ? null : a))) ?? null;
  } catch (e) {
    throw new BuiltinError(e instanceof Error ? e.message : String(e));
  }
}

/** evalArgs: a lone string argument is used as is, anything else goes through fmt.Sprint. */
function evalArgs(args: Value[]): string {
  if (args.length === 1 && kindOf(args[0]) === 'string' && typeof args[0] === 'string') return args[0];
  return sprint(args);
}

export function htmlEscapeString(s: string): string {
  return s.replace(
    /[\0"'&<>]/g,
    (c) => ({ '\0': '\uFFFD', '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!,
  );
}

export function jsEscapeString(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '\\':
        out += '\\\\';
        continue;
      case "'":
        out += "\\'";
        continue;
      case '"':
        out += '\\"';
        continue;
      case '<':
        out += '\\u003C';
        continue;
      case '>':
        out += '\\u003E';
        continue;
      case '&':
        out += '\\u0026';
        continue;
      case '=':
        out += '\\u003D';
        continue;
    }
    if (c < 0x80) {
      if (c >= 0x20 && c < 0x7f) out += ch;
      else out += '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
    } else if (/^[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]$/u.test(ch)) {
      out += ch;
    } else {
      out += '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
    }
  }
  return out;
}

export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

export const BUILTINS: Record<string, Builtin> = {
  // The evaluator short-circuits and/or itself (Go evaluates their arguments lazily); these are the eager forms.
  and: { params: ['value', 'value'], variadic: true, fn: (a) => a.find((v) => !truth(v)) ?? a[a.length - 1] },
  or: { params: ['value', 'value'], variadic: true, fn: (a) => a.find((v) => truth(v)) ?? a[a.length - 1] },
  not: { params: ['value'], variadic: false, fn: ([a]) => !truth(a) },
  call: { params: ['value', 'value'], variadic: true, fn: ([f, ...rest]) => call(f, ...rest) },
  html: { params: ['any'], variadic: true, fn: (a) => htmlEscapeString(evalArgs(a)) },
  js: { params: ['any'], variadic: true, fn: (a) => jsEscapeString(evalArgs(a)) },
  urlquery: { params: ['any'], variadic: true, fn: (a) => queryEscape(evalArgs(a)) },
  print: { params: ['any'], variadic: true, fn: (a) => sprint(a) },
  println: { params: ['any'], variadic: true, fn: (a) => sprintln(a) },
  printf: { params: ['string', 'any'], variadic: true, fn: ([f, ...a]) => sprintf(f as string, a) },
  index: { params: ['value', 'value'], variadic: true, fn: ([item, ...ix]) => index(item, ...ix) },
  slice: { params: ['value', 'value'], variadic: true, fn: ([item, ...ix]) => slice(item, ...ix) },
  len: { params: ['value'], variadic: false, fn: ([a]) => length(a) },
  eq: { params: ['value', 'value'], variadic: true, fn: ([a, ...b]) => eq(a, ...b) },
  ne: { params: ['value', 'value'], variadic: false, fn: ([a, b]) => !eq(a, b) },
  lt: { params: ['value', 'value'], variadic: false, fn: ([a, b]) => lt(a, b) },
  le: { params: ['value', 'value'], variadic: false, fn: ([a, b]) => le(a, b) },
  gt: { params: ['value', 'value'], variadic: false, fn: ([a, b]) => !le(a, b) },
  ge: { params: ['value', 'value'], variadic: false, fn: ([a, b]) => !lt(a, b) },
};
