/* eslint-disable no-useless-assignment -- a line-by-line port of Go's fmt/print.go, whose assignments it keeps */
/** Go's fmt package printing (Sprint, Sprintln, Sprintf) for the JS representation of Go values. */
import { formatFloat, type FloatVerb } from './floatfmt.js';
import {
  NO_VALUE,
  findMethod,
  isPointerStruct,
  kindOf,
  scalarValue,
  sortedMapKeys,
  structFields,
  toBigInt,
  toNumber,
  typeName,
  type Value,
} from './gotypes.js';
import { goQuote, goQuoteRune, isGoPrint } from './strconv.js';
import { GoNamed } from './values.js';

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  plusV: boolean;
  sharpV: boolean;
  wid?: number;
  prec?: number;
}

const noFlags = (): Flags => ({
  plus: false,
  minus: false,
  sharp: false,
  space: false,
  zero: false,
  plusV: false,
  sharpV: false,
});

function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function pad(f: Flags, s: string): string {
  if (f.wid === undefined || f.wid === 0) return s;
  const width = f.wid - runeCount(s);
  if (width <= 0) return s;
  if (f.minus) return s + ' '.repeat(width);
  return (f.zero ? '0' : ' ').repeat(width) + s;
}

function truncate(f: Flags, s: string): string {
  if (f.prec === undefined) return s;
  return [...s].slice(0, f.prec).join('');
}

const isNilValue = (v: Value) => v === null || v === undefined || v === NO_VALUE;

class Printer {
  out = '';
  /** print a top-level pointer-to-struct as the struct itself (text/template's printableValue) */
  derefPointer = false;
  private erroring = false;

  constructor(public f: Flags = noFlags()) {}

  badVerb(verb: string, arg: Value): void {
    this.erroring = true;
    this.out += '%!' + verb + '(';
    if (!isNilValue(arg)) {
      this.out += typeName(arg) + '=';
      this.printArg(arg, 'v', 0);
    } else this.out += '<nil>';
    this.out += ')';
    this.erroring = false;
  }

  printArg(arg: Value, verb: string, depth: number): void {
    const f = this.f;
    if (isNilValue(arg)) {
      if (verb === 'T' || verb === 'v') this.out += pad(f, '<nil>');
      else this.badVerb(verb, arg);
      return;
    }
    if (verb === 'T') {
      this.out += pad(f, truncate(f, typeName(arg)));
      return;
    }
    if (this.handleMethods(arg, verb)) return;
    const kind = kindOf(arg);
    switch (kind) {
      case 'bool':
        if (verb === 't' || verb === 'v') this.out += pad(f, String(scalarValue(arg)));
        else this.badVerb(verb, arg);
        return;
      case 'int':
      case 'uint':
        this.fmtIntegerVerb(arg, kind === 'int', verb);
        return;
      case 'float':
        this.fmtFloatVerb(toNumber(arg), verb, arg);
        return;
      case 'string':
        this.fmtStringVerb(String(scalarValue(arg)), verb, arg);
        return;
      case 'nilptr':
        if (verb === 'v' || verb === 's') this.out += pad(f, '<nil>');
        else this.badVerb(verb, arg);
        return;
      case 'func':
        this.badVerb(verb, arg);
        return;
      case 'slice': {
        const a = arg as unknown[];
        if (f.sharpV) {
          this.out += typeName(arg) + '{';
          a.forEach((e, i) => {
            if (i > 0) this.out += ', ';
            this.printValue(e, verb, depth + 1);
          });
          this.out += '}';
          return;
        }
        this.out += '[';
        a.forEach((e, i) => {
          if (i > 0) this.out += ' ';
          this.printValue(e, verb, depth + 1);
        });
        this.out += ']';
        return;
      }
      case 'map': {
        const m = arg as Map<unknown, unknown>;
        this.out += f.sharpV ? typeName(arg) + '{' : 'map[';
        sortedMapKeys(m).forEach((k, i) => {
          if (i > 0) this.out += f.sharpV ? ', ' : ' ';
          this.printValue(k, verb, depth + 1);
          this.out += ':';
          this.printValue(m.get(k), verb, depth + 1);
        });
        this.out += f.sharpV ? '}' : ']';
        return;
      }
      case 'struct': {
        if (isPointerStruct(arg)) {
          if (depth > 0) {
            // Go prints a nested pointer as its address, which differs every run; the panel never relies on it.
            this.out += '0xc000010000';
            return;
          }
          if (!this.derefPointer) this.out += '&';
        }
        if (f.sharpV) this.out += typeName(arg).replace(/^\*/, '');
        this.out += '{';
        structFields(arg as object).forEach(([name, fv], i) => {
          if (i > 0) this.out += f.sharpV ? ', ' : ' ';
          if (f.plusV || f.sharpV) this.out += name + ':';
          this.printValue(fv, verb, depth + 1);
        });
        this.out += '}';
        return;
      }
    }
  }

  /** printValue for nested values: a nil interface element prints `<nil>`; Stringers apply. */
  printValue(v: Value, verb: string, depth: number): void {
    if (isNilValue(v)) {
      if (this.f.sharpV) this.out += 'interface {}(nil)';
      else this.out += pad(this.f, '<nil>');
      return;
    }
    this.printArg(v, verb, depth);
  }

  /** fmt's handleMethods: error's Error() wins over String() for verbs that accept strings. */
  handleMethods(arg: Value, verb: string): boolean {
    if (this.erroring || this.f.sharpV) return false;
    if (!'vsxXq'.includes(verb)) return false;
    const errorFn = findMethod(arg, 'Error');
    const stringFn = errorFn ?? findMethod(arg, 'String');
    if (!stringFn || stringFn.length !== 0) return false;
    let s: unknown;
    try {
      s = stringFn.call(arg);
    } catch (e) {
      this.out += `%!${verb}(PANIC=${errorFn ? 'Error' : 'String'} method: ${(e as Error).message})`;
      return true;
    }
    this.fmtStringVerb(String(s), verb, arg);
    return true;
  }

  fmtStringVerb(s: string, verb: string, arg: Value): void {
    const f = this.f;
    switch (verb) {
      case 'v':
        if (f.sharpV) {
          this.out += pad(f, goQuote(s));
          return;
        }
        this.out += pad(f, truncate(f, s));
        return;
      case 's':
        this.out += pad(f, truncate(f, s));
        return;
      case 'x':
      case 'X': {
        const bytes = Buffer.from(truncate(f, s), 'utf8');
        let hex = '';
        bytes.forEach((b, i) => {
          if (f.space && i > 0) hex += ' ';
          if (f.sharp && (f.space || i === 0)) hex += verb === 'x' ? '0x' : '0X';
          const h = b.toString(16).padStart(2, '0');
          hex += verb === 'X' ? h.toUpperCase() : h;
        });
        this.out += pad(f, hex);
        return;
      }
      case 'q': {
        const t = truncate(f, s);
        if (f.sharp && !/[`\u0000-\u0008\u000a-\u001f\u007f\ufeff]/.test(t)) {
          this.out += pad(f, '`' + t + '`');
          return;
        }
        this.out += pad(f, goQuote(t, f.plus));
        return;
      }
    }
    this.badVerb(verb, arg);
  }

  fmtIntegerVerb(arg: Value, signed: boolean, verb: string): void {
    const v = toBigInt(arg);
    switch (verb) {
      case 'v':
        if (this.f.sharpV && !signed) this.fmtInteger(v, 16, verb, 'x', true);
        else this.fmtInteger(v, 10, verb, 'x', false);
        return;
      case 'd':
        this.fmtInteger(v, 10, verb, 'x', false);
        return;
      case 'b':
        this.fmtInteger(v, 2, verb, 'x', false);
        return;
      case 'o':
      case 'O':
        this.fmtInteger(v, 8, verb, 'x', false);
        return;
      case 'x':
        this.fmtInteger(v, 16, verb, 'x', false);
        return;
      case 'X':
        this.fmtInteger(v, 16, verb, 'X', false);
        return;
      case 'c':
        this.out += pad(this.f, String.fromCodePoint(validRune(v)));
        return;
      case 'q':
        this.out += pad(this.f, goQuoteRune(Number(v), this.f.plus));
        return;
      case 'U':
        this.fmtUnicode(v);
        return;
    }
    this.badVerb(verb, arg);
  }

  fmtInteger(value: bigint, base: number, verb: string, xcase: 'x' | 'X', forceSharp: boolean): void {
    const f = this.f;
    const negative = value < 0n;
    const u = negative ? -value : value;
    let prec = 0;
    if (f.prec !== undefined) {
      prec = f.prec;
      if (prec === 0 && u === 0n) {
        this.out += f.wid ? ' '.repeat(f.wid) : '';
        return;
      }
    } else if (f.zero && f.wid !== undefined) {
      prec = f.wid;
      if (negative || f.plus || f.space) prec--;
    }
    let digits = u.toString(base);
    if (xcase === 'X') digits = digits.toUpperCase();
    if (digits.length < prec) digits = '0'.repeat(prec - digits.length) + digits;
    if (f.sharp || forceSharp) {
      if (base === 2) digits = '0b' + digits;
      else if (base === 8 && digits[0] !== '0') digits = '0' + digits;
      else if (base === 16) digits = '0' + xcase + digits;
    }
    if (verb === 'O') digits = '0o' + digits;
    if (negative) digits = '-' + digits;
    else if (f.plus) digits = '+' + digits;
    else if (f.space) digits = ' ' + digits;
    const oldZero = f.zero;
    f.zero = false;
    this.out += pad(f, digits);
    f.zero = oldZero;
  }

  fmtUnicode(v: bigint): void {
    const f = this.f;
    let hex = (v < 0n ? -v : v).toString(16).toUpperCase();
    const prec = f.prec !== undefined && f.prec > 4 ? f.prec : 4;
    if (hex.length < prec) hex = '0'.repeat(prec - hex.length) + hex;
    let s = 'U+' + hex;
    if (f.sharp && v >= 0n && v <= 0x10ffffn && isGoPrint(Number(v))) s += " '" + String.fromCodePoint(Number(v)) + "'";
    const oldZero = f.zero;
    f.zero = false;
    this.out += pad(f, s);
    f.zero = oldZero;
  }

  fmtFloatVerb(v: number, verb: string, arg: Value): void {
    switch (verb) {
      case 'v':
        this.fmtFloat(v, 'g', -1);
        return;
      case 'g':
      case 'G':
        this.fmtFloat(v, verb, -1);
        return;
      case 'f':
      case 'e':
      case 'E':
        this.fmtFloat(v, verb, 6);
        return;
      case 'F':
        this.fmtFloat(v, 'f', 6);
        return;
    }
    this.badVerb(verb, arg);
  }

  fmtFloat(v: number, verb: FloatVerb, prec: number): void {
    const f = this.f;
    if (f.prec !== undefined) prec = f.prec;
    let num = formatFloat(v, verb, prec);
    if (num[0] !== '-' && num[0] !== '+') num = '+' + num;
    if (f.space && num[0] === '+' && !f.plus) num = ' ' + num.slice(1);
    if (num.endsWith('Inf') || num.endsWith('NaN')) {
      const oldZero = f.zero;
      f.zero = false;
      if (num.endsWith('NaN') && !f.space && !f.plus) num = num.slice(1);
      if (num === '+Inf' && !f.plus && !f.space) num = '+Inf';
      this.out += pad(f, num);
      f.zero = oldZero;
      return;
    }
    if (f.sharp && verb !== 'e' && verb !== 'E' && verb !== 'f' && !num.includes('.') && !/e/i.test(num)) {
      // %#g keeps a decimal point
      num += '.';
    }
    if (f.plus || num[0] !== '+') {
      if (f.zero && f.wid !== undefined && f.wid > num.length) {
        this.out += num[0] + '0'.repeat(f.wid - num.length) + num.slice(1);
        return;
      }
      this.out += pad(f, num);
      return;
    }
    this.out += pad(f, num.slice(1));
  }
}

function validRune(v: bigint): number {
  if (v < 0n || v > 0x10ffffn || (v >= 0xd800n && v <= 0xdfffn)) return 0xfffd;
  return Number(v);
}

function isStringKind(v: Value): boolean {
  return kindOf(v) === 'string' && !(v instanceof GoNamed && findMethod(v, 'String'));
}

function isStringArg(v: Value): boolean {
  // fmt checks reflect.TypeOf(arg).Kind() == reflect.String, regardless of methods
  return kindOf(v) === 'string' || (v instanceof GoNamed && typeof v.value === 'string') || isStringKind(v);
}

/** fmt.Sprint: operands separated by a space when neither side is a string. */
export function sprint(args: Value[], derefPointer = false): string {
  const p = new Printer();
  p.derefPointer = derefPointer;
  let prevString = false;
  args.forEach((arg, i) => {
    const isString = !isNilValue(arg) && isStringArg(arg);
    if (i > 0 && !isString && !prevString) p.out += ' ';
    p.printArg(arg, 'v', 0);
    prevString = isString;
  });
  return p.out;
}

/** fmt.Sprintln: operands always separated by spaces, newline appended. */
export function sprintln(args: Value[]): string {
  const p = new Printer();
  args.forEach((arg, i) => {
    if (i > 0) p.out += ' ';
    p.printArg(arg, 'v', 0);
  });
  return p.out + '\n';
}

/** fmt.Sprintf. */
export function sprintf(format: string, args: Value[]): string {
  const p = new Printer();
  let argNum = 0;
  let reordered = false;
  let goodArgNum = true;
  const end = format.length;
  let i = 0;

  const parseNum = (start: number): { num: number; isnum: boolean; next: number } => {
    let j = start;
    let num = 0;
    let isnum = false;
    while (j < end && format[j]! >= '0' && format[j]! <= '9') {
      if (num > 1e6) return { num: 0, isnum: false, next: end };
      num = num * 10 + (format.charCodeAt(j) - 48);
      isnum = true;
      j++;
    }
    return { num, isnum, next: j };
  };

  const argNumber = (cur: number, at: number): { argNum: number; next: number; found: boolean } => {
    if (at >= end || format[at] !== '[') return { argNum: cur, next: at, found: false };
    reordered = true;
    for (let j = at + 1; j < end; j++) {
      if (format[j] === ']') {
        const { num, isnum, next } = parseNum(at + 1);
        if (!isnum || next !== j) {
          goodArgNum = false;
          return { argNum: cur, next: j + 1, found: true };
        }
        const idx = num - 1;
        if (idx >= 0 && idx < args.length) return { argNum: idx, next: j + 1, found: true };
        goodArgNum = false;
        return { argNum: cur, next: j + 1, found: true };
      }
    }
    goodArgNum = false;
    return { argNum: cur, next: at + 1, found: false };
  };

  const intFromArg = (n: number): { value: number; ok: boolean; next: number } => {
    if (n >= args.length) return { value: 0, ok: false, next: n };
    const a = args[n];
    const k = kindOf(a);
    if (k === 'int' || k === 'uint') {
      const v = Number(toBigInt(a));
      if (Math.abs(v) > 1e6) return { value: 0, ok: false, next: n + 1 };
      return { value: v, ok: true, next: n + 1 };
    }
    return { value: 0, ok: false, next: n + 1 };
  };

  while (i < end) {
    goodArgNum = true;
    const lasti = i;
    while (i < end && format[i] !== '%') i++;
    if (i > lasti) p.out += format.slice(lasti, i);
    if (i >= end) break;
    i++;
    const f = noFlags();
    p.f = f;
    flags: for (; i < end; i++) {
      switch (format[i]) {
        case '#':
          f.sharp = true;
          break;
        case '0':
          f.zero = !f.minus;
          break;
        case '+':
          f.plus = true;
          break;
        case '-':
          f.minus = true;
          f.zero = false;
          break;
        case ' ':
          f.space = true;
          break;
        default:
          break flags;
      }
    }
    let r = argNumber(argNum, i);
    argNum = r.argNum;
    i = r.next;
    let afterIndex = r.found;
    if (i < end && format[i] === '*') {
      i++;
      const w = intFromArg(argNum);
      argNum = w.next;
      if (!w.ok) p.out += '%!(BADWIDTH)';
      else {
        f.wid = w.value;
        if (w.value < 0) {
          f.wid = -w.value;
          f.minus = true;
          f.zero = false;
        }
      }
      afterIndex = false;
    } else {
      const { num, isnum, next } = parseNum(i);
      if (isnum) {
        f.wid = num;
        if (afterIndex) goodArgNum = false;
      }
      i = next;
    }
    if (i + 1 <= end && format[i] === '.') {
      i++;
      if (afterIndex) goodArgNum = false;
      r = argNumber(argNum, i);
      argNum = r.argNum;
      i = r.next;
      afterIndex = r.found;
      if (i < end && format[i] === '*') {
        i++;
        const pr = intFromArg(argNum);
        argNum = pr.next;
        if (pr.value < 0 || !pr.ok) {
          p.out += '%!(BADPREC)';
        } else f.prec = pr.value;
        afterIndex = false;
      } else {
        const { num, next } = parseNum(i);
        f.prec = num;
        i = next;
      }
    }
    if (!afterIndex) {
      r = argNumber(argNum, i);
      argNum = r.argNum;
      i = r.next;
      afterIndex = r.found;
    }
    if (i >= end) {
      p.out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      p.out += '%';
    } else if (!goodArgNum) {
      p.out += '%!' + verb + '(BADINDEX)';
    } else if (argNum >= args.length) {
      p.out += '%!' + verb + '(MISSING)';
    } else {
      if (verb === 'v') {
        if (f.sharp) {
          f.sharp = false;
          f.sharpV = true;
        }
        if (f.plus) {
          f.plus = false;
          f.plusV = true;
        }
      }
      p.printArg(args[argNum], verb, 0);
      argNum++;
    }
  }
  if (!reordered && argNum < args.length) {
    p.f = noFlags();
    p.out += '%!(EXTRA ';
    args.slice(argNum).forEach((arg, k) => {
      if (k > 0) p.out += ', ';
      if (isNilValue(arg)) p.out += '<nil>';
      else {
        p.out += typeName(arg) + '=';
        p.printArg(arg, 'v', 0);
      }
    });
    p.out += ')';
  }
  return p.out;
}
