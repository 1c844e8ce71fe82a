/** Number literal parsing with Go's strconv.ParseInt/ParseUint(text, 0, 64) and ParseFloat rules. */
import { goQuote } from './strconv.js';

const MAX_INT64 = (1n << 63n) - 1n;
const MIN_INT64 = -(1n << 63n);
const MAX_UINT64 = (1n << 64n) - 1n;

/** Go's underscoreOK: underscores only after a base prefix or between digits. */
function underscoreOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'bBoOxX'.includes(s[1]!)) {
    i = 2;
    saw = '0';
    hex = s[1] === 'x' || s[1] === 'X';
  }
  for (; i < s.length; i++) {
    const c = s[i]!;
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** ParseUint/ParseInt magnitude with base 0; returns null on syntax error or > uint64. */
function parseUnsignedBase0(s: string): bigint | null {
  if (s === '') return null;
  let base = 10;
  let digits = s;
  if (s[0] === '0') {
    if (s.length >= 3 && (s[1] === 'x' || s[1] === 'X')) {
      base = 16;
      digits = s.slice(2);
    } else if (s.length >= 3 && (s[1] === 'o' || s[1] === 'O')) {
      base = 8;
      digits = s.slice(2);
    } else if (s.length >= 3 && (s[1] === 'b' || s[1] === 'B')) {
      base = 2;
      digits = s.slice(2);
    } else {
      base = 8;
      digits = s.slice(1);
    }
  }
  if (s.includes('_') && !underscoreOK(s)) return null;
  digits = digits.replace(/_/g, '');
  if (digits === '' && !(base === 8 && s === '0')) {
    if (s === '0') return 0n;
    if (base === 8 && /^0_*$/.test(s)) return 0n;
    return null;
  }
  let v = 0n;
  for (const c of digits) {
    const d = parseInt(c, 16);
    if (Number.isNaN(d) || d >= base) return null;
    v = v * BigInt(base) + BigInt(d);
    if (v > MAX_UINT64) return null;
  }
  return v;
}

/** strconv.ParseFloat(s, 64) for the syntax the lexer lets through; null on error. */
function parseFloat64(s: string): number | null {
  let sign = 1;
  let t = s;
  if (t[0] === '+' || t[0] === '-') {
    if (t[0] === '-') sign = -1;
    t = t.slice(1);
  }
  if (t.includes('_')) {
    if (!underscoreOK(s)) return null;
    t = t.replace(/_/g, '');
  }
  if (/^0[xX]/.test(t)) {
    const m = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(t);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) return null;
    const mant = parseInt((m[1] || '0') + (m[2] ?? ''), 16);
    const exp = Number(m[3]) - 4 * (m[2] ?? '').length;
    return sign * mant * Math.pow(2, exp);
  }
  if (!/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return null;
  const v = Number(t);
  if (!Number.isFinite(v)) return null; // Go: value out of range
  return sign * v;
}

export interface NumberValue {
  isInt: boolean;
  isUint: boolean;
  isFloat: boolean;
  int64: bigint;
  uint64: bigint;
  float64: number;
}

/** Mirrors parse.(*Tree).newNumber for non-imaginary, non-character literals; returns an error message on failure. */
export function parseNumberLiteral(text: string): NumberValue | string {
  const n: NumberValue = { isInt: false, isUint: false, isFloat: false, int64: 0n, uint64: 0n, float64: 0 };
  const neg = text[0] === '-';
  const unsignedText = text[0] === '+' || text[0] === '-' ? text.slice(1) : text;
  const mag = parseUnsignedBase0(unsignedText);
  if (mag !== null && text[0] !== '-' && text[0] !== '+') {
    n.isUint = true;
    n.uint64 = mag;
  }
  if (mag !== null) {
    const i = neg ? -mag : mag;
    if (i >= MIN_INT64 && i <= MAX_INT64) {
      n.isInt = true;
      n.int64 = i;
      if (i === 0n) {
        n.isUint = true;
        n.uint64 = text[0] === '-' || text[0] === '+' ? 0n : n.uint64;
      }
    }
  }
  if (n.isInt) {
    n.isFloat = true;
    n.float64 = Number(n.int64);
  } else if (n.isUint) {
    n.isFloat = true;
    n.float64 = Number(n.uint64);
  } else {
    const f = parseFloat64(text);
    if (f !== null) {
      if (!/[.eEpP]/.test(text)) return `integer overflow: ${goQuote(text)}`;
      n.isFloat = true;
      n.float64 = f;
      if (Number.isInteger(f) && Math.abs(f) < 2 ** 63) {
        n.isInt = true;
        n.int64 = BigInt(f);
      }
      if (Number.isInteger(f) && f >= 0 && f < 2 ** 64) {
        n.isUint = true;
        n.uint64 = BigInt(f);
      }
    }
  }
  if (!n.isInt && !n.isUint && !n.isFloat) return `illegal number syntax: ${goQuote(text)}`;
  return n;
}
