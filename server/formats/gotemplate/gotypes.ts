/** Go type and kind information for the JS values described in values.ts. */
import { GoFunc, GoNamed, GoNumber, GoTime, GoTypedNil, TrustedXml, type NumericKind } from './values.js';

/**
 * Objects reached through an interface-typed container ([]interface {}, map[string]interface {}): Go names
 * their static type `interface {}` in field errors.
 */
export const interfaceTyped = new WeakSet<object>();

/** Stands for Go's invalid reflect.Value (a missing map key, nil data): prints as `<no value>`. */
export const NO_VALUE: unique symbol = Symbol('no value');
export type Value = unknown;

export type Kind =
  'invalid' | 'nil' | 'bool' | 'int' | 'uint' | 'float' | 'string' | 'slice' | 'map' | 'struct' | 'func' | 'nilptr';

export interface ClassWithGoType {
  goTypeName?: string;
}

export function isStructLike(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Map) &&
    !(v instanceof GoNumber) &&
    !(v instanceof GoNamed) &&
    !(v instanceof GoTypedNil) &&
    !(v instanceof GoFunc)
  );
}

function scalarKind(v: number | bigint | string | boolean): Kind {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'bigint') return 'int';
  return Number.isInteger(v) ? 'int' : 'float';
}

/** The reflect.Kind family of a value, looking through named scalar types to their underlying kind. */
export function kindOf(v: Value): Kind {
  if (v === NO_VALUE) return 'invalid';
  if (v === null || v === undefined) return 'nil';
  if (v instanceof GoTypedNil) return 'nilptr';
  if (v instanceof GoFunc) return 'func';
  if (v instanceof GoNumber) return v.kind as NumericKind;
  if (v instanceof GoNamed) return scalarKind(v.value);
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'number':
    case 'bigint':
      return scalarKind(v);
    case 'function':
      return 'func';
  }
  if (Array.isArray(v)) return 'slice';
  if (v instanceof Map) return 'map';
  return 'struct';
}

/** The numeric/string/bool payload of a scalar (through GoNumber/GoNamed). */
export function scalarValue(v: Value): number | bigint | string | boolean {
  if (v instanceof GoNumber) return v.value;
  if (v instanceof GoNamed) return v.value;
  return v as number | bigint | string | boolean;
}

export function toBigInt(v: Value): bigint {
  const s = scalarValue(v);
  if (typeof s === 'bigint') return s;
  if (typeof s === 'number') return BigInt(Math.trunc(s));
  throw new TypeError('not an integer');
}

export function toNumber(v: Value): number {
  const s = scalarValue(v);
  return typeof s === 'bigint' ? Number(s) : (s as number);
}

/** Go's reflect.Type.String() for a value. */
export function typeName(v: Value): string {
  if (v === NO_VALUE) return '<invalid>';
  if (v === null || v === undefined) return 'interface {}';
  if (v instanceof GoTypedNil || v instanceof GoNumber || v instanceof GoNamed || v instanceof GoFunc) return v.goType;
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int64';
    case 'number':
      return Number.isInteger(v) ? 'int' : 'float64';
    case 'function':
      return 'func(...)';
  }
  if (Array.isArray(v)) {
    const tagged = (v as { goTypeName?: string }).goTypeName;
    return typeof tagged === 'string' ? tagged : '[]interface {}';
  }
  if (v instanceof Map) {
    let keyType = 'string';
    for (const k of v.keys()) {
      keyType = typeName(k);
      break;
    }
    return `map[${keyType}]interface {}`;
  }
  const ctor = (v as object).constructor as (ClassWithGoType & { name: string }) | undefined;
  if (ctor && ctor !== Object) return ctor.goTypeName ?? ctor.name;
  const fields = structFields(v as Record<string, unknown>);
  if (fields.length === 0) return 'struct {}';
  return `struct { ${fields.map(([k, fv]) => `${k} ${fieldTypeName(fv)}`).join('; ')} }`;
}

function fieldTypeName(v: Value): string {
  return typeName(v);
}

/** Whether the Go type of this struct-like value is a pointer (class declares `static goTypeName = '*pkg.T'`). */
export function isPointerStruct(v: Value): boolean {
  if (!isStructLike(v)) return false;
  const ctor = (v as object).constructor as ClassWithGoType | undefined;
  return typeof ctor?.goTypeName === 'string' && ctor.goTypeName.startsWith('*');
}

/** The struct fields of a JS object, in declaration order: own enumerable non-function properties. */
export function structFields(v: object): [string, unknown][] {
  if (v instanceof GoTime || v instanceof TrustedXml) return [];
  return Object.entries(v).filter(([, fv]) => typeof fv !== 'function');
}

/** A method named `name` (own or inherited, not from Object.prototype), or undefined. */
export function findMethod(v: Value, name: string): ((...args: unknown[]) => unknown) | undefined {
  if (v === null || v === undefined || v === NO_VALUE) return undefined;
  if (typeof v !== 'object') return undefined;
  if (v instanceof Map || Array.isArray(v)) return undefined;
  if (Object.prototype.hasOwnProperty.call(Object.prototype, name)) return undefined;
  const f = (v as Record<string, unknown>)[name];
  return typeof f === 'function' ? (f as (...args: unknown[]) => unknown) : undefined;
}

/** Go's exported identifier rule. */
export function isExported(name: string): boolean {
  const c = name.codePointAt(0);
  if (c === undefined) return false;
  const ch = String.fromCodePoint(c);
  return ch !== ch.toLowerCase() || /\p{Lu}/u.test(ch);
}

/** Map keys in fmtsort order: numbers numerically, strings bytewise, bools false first. */
export function sortedMapKeys(m: Map<unknown, unknown>): unknown[] {
  const keys = [...m.keys()];
  return keys.sort((a, b) => compareKeys(a, b));
}

function compareKeys(a: unknown, b: unknown): number {
  const sa = scalarValue(a);
  const sb = scalarValue(b);
  if (typeof sa === 'string' && typeof sb === 'string') {
    const ba = Buffer.from(sa, 'utf8');
    const bb = Buffer.from(sb, 'utf8');
    return Buffer.compare(ba, bb);
  }
  if ((typeof sa === 'number' || typeof sa === 'bigint') && (typeof sb === 'number' || typeof sb === 'bigint')) {
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  }
  if (typeof sa === 'boolean' && typeof sb === 'boolean') return sa === sb ? 0 : sa ? 1 : -1;
  return 0;
}
