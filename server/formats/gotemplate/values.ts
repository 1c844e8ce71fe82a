/**
 * How JS values stand for Go values inside templates.
 *
 *   null / undefined        nil (an empty interface holding nothing)
 *   string, boolean         string, bool
 *   number                  int when integral, float64 otherwise
 *   bigint                  int64
 *   GoNumber                a number with an explicit Go type (float64, uint64, ...)
 *   GoNamed                 a named scalar type (e.g. `type HWArch int`); subclasses add methods
 *   GoTypedNil              a nil pointer of a known type (e.g. *models.IP)
 *   Array                   slice ([]interface {})
 *   Map                     map, iterated in sorted key order
 *   other objects           structs; function-valued properties are methods
 *   TrustedXml              a string the panel built itself; printed raw in xml mode
 */

/** XML built by the panel itself; printed unescaped even in xml mode. */
export class TrustedXml {
  constructor(readonly xml: string) {}
  String(): string {
    return this.xml;
  }
}

export type GoNumericType =
  | 'int'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'uintptr'
  | 'float32'
  | 'float64';

export type NumericKind = 'int' | 'uint' | 'float';

export function numericKindOf(t: GoNumericType): NumericKind {
  if (t.startsWith('float')) return 'float';
  if (t.startsWith('uint')) return 'uint';
  return 'int';
}

/** A number carrying its Go type, for the cases where "integral JS number = int" is not what Go has. */
export class GoNumber {
  readonly kind: NumericKind;
  constructor(
    readonly value: number | bigint,
    readonly goType: GoNumericType,
  ) {
    this.kind = numericKindOf(goType);
    if (this.kind !== 'float' && typeof value === 'number' && !Number.isInteger(value)) {
      throw new RangeError(`GoNumber: ${goType} needs an integral value, got ${value}`);
    }
  }
}

/** A Go float64; prints with Go's %v float formatting even when integral (1 → "1", 1e21 → "1e+21"). */
export class GoFloat extends GoNumber {
  constructor(value: number) {
    super(value, 'float64');
  }
}

/**
 * A value of a named Go type whose underlying type is a scalar, e.g. `type HWArch int`.
 * Subclasses add Go methods (String() makes it a fmt.Stringer).
 */
export class GoNamed {
  constructor(
    readonly goType: string,
    readonly value: number | bigint | string | boolean,
  ) {}
}

/** A typed nil pointer, such as a nil *models.IP field. */
export class GoTypedNil {
  /** fields: the pointed-to struct's field names, so `.Unknown` on it reports "can't evaluate field" as Go does */
  constructor(
    readonly goType: string,
    readonly fields?: readonly string[],
  ) {}
}

/** Go's time.Time, printed like time.Time.String() in UTC: `2017-07-16 10:04:05.5 +0000 UTC`. */
export class GoTime {
  static readonly goTypeName = 'time.Time';
  /** nanoseconds within the second, 0..999999999 (Date only holds milliseconds) */
  readonly nanos: number;
  constructor(
    readonly date: Date,
    nanos?: number,
  ) {
    if (Number.isNaN(date.getTime())) throw new RangeError('GoTime: invalid Date');
    const n = nanos ?? date.getUTCMilliseconds() * 1_000_000;
    if (!Number.isInteger(n) || n < 0 || n > 999_999_999) {
      throw new RangeError(`GoTime: nanos must be an integer in 0..999999999, got ${n}`);
    }
    this.nanos = n;
  }
  String(): string {
    const d = this.date;
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    let s =
      `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
      `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
    if (this.nanos !== 0) s += '.' + p(this.nanos, 9).replace(/0+$/, '');
    return s + ' +0000 UTC';
  }
}

/** A Go func value (e.g. a struct field of func type): not a method, but callable with the `call` builtin. */
export class GoFunc {
  constructor(
    readonly fn: (...args: never[]) => unknown,
    readonly goType = 'func()',
  ) {}
}
