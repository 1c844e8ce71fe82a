/** strconv.FormatFloat(f, fmt, prec, 64) for fmt in e E f g G, with Go's exact half-even rounding. */

interface Digits {
  /** decimal digits without leading/trailing zeros ("" for zero) */
  d: string;
  /** decimal point position: value = 0.d × 10^dp */
  dp: number;
}

function exactDigits(x: number): Digits {
  if (x === 0) return { d: '', dp: 0 };
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  let s: string;
  let dp: number;
  if (exp >= 0) {
    s = (mant << BigInt(exp)).toString();
    dp = s.length;
  } else {
    s = (mant * 5n ** BigInt(-exp)).toString();
    dp = s.length - -exp;
  }
  return trim({ d: s, dp });
}

function trim(g: Digits): Digits {
  let d = g.d.replace(/0+$/, '');
  let dp = g.dp;
  const lead = d.length - d.replace(/^0+/, '').length;
  d = d.slice(lead);
  dp -= lead;
  if (d === '') dp = 0;
  return { d, dp };
}

function shortestDigits(x: number): Digits {
  if (x === 0) return { d: '', dp: 0 };
  const [mant, e] = x.toExponential().split('e') as [string, string];
  const d = mant.replace('.', '');
  return trim({ d, dp: Number(e) + 1 });
}

/** Rounds to nd significant digits, ties to even (the exact binary value decides ties). */
function roundDigits(g: Digits, nd: number): Digits {
  if (nd < 0) return { d: '', dp: 0 };
  if (g.d.length <= nd) return g;
  const next = g.d.charCodeAt(nd) - 48;
  let up: boolean;
  if (next > 5) up = true;
  else if (next < 5) up = false;
  else if (g.d.length > nd + 1)
    up = true; // more nonzero digits follow (digits are trimmed)
  else up = nd > 0 && (g.d.charCodeAt(nd - 1) - 48) % 2 === 1;
  let d = g.d.slice(0, nd);
  let dp = g.dp;
  if (up) {
    const s = (d === '' ? 1n : BigInt(d) + 1n).toString();
    if (s.length > d.length) dp++; // carry out of the top digit: 999 -> 1000
    d = s.slice(0, Math.max(nd, 1));
  }
  return trim({ d, dp });
}

function fmtE(neg: boolean, g: Digits, prec: number, ch: 'e' | 'E'): string {
  let s = neg ? '-' : '';
  s += g.d.length > 0 ? g.d[0] : '0';
  if (prec > 0) {
    s += '.';
    const rest = g.d.slice(1, 1 + prec);
    s += rest + '0'.repeat(prec - rest.length);
  }
  let exp = g.d.length === 0 ? 0 : g.dp - 1;
  s += ch;
  if (exp < 0) {
    s += '-';
    exp = -exp;
  } else s += '+';
  return s + (exp < 10 ? '0' + exp : String(exp));
}

function fmtF(neg: boolean, g: Digits, prec: number): string {
  let s = neg ? '-' : '';
  if (g.dp > 0) {
    const intPart = g.d.slice(0, g.dp);
    s += intPart + '0'.repeat(g.dp - intPart.length);
  } else s += '0';
  if (prec > 0) {
    s += '.';
    for (let i = 1; i <= prec; i++) {
      const j = g.dp + i - 1;
      s += j >= 0 && j < g.d.length ? g.d[j] : '0';
    }
  }
  return s;
}

export type FloatVerb = 'e' | 'E' | 'f' | 'g' | 'G';

export function formatFloat(x: number, verb: FloatVerb, prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const ax = Math.abs(x);
  const shortest = prec < 0;
  let g: Digits;
  if (shortest) {
    g = shortestDigits(ax);
    switch (verb) {
      case 'e':
      case 'E':
        prec = Math.max(g.d.length - 1, 0);
        break;
      case 'f':
        prec = Math.max(g.d.length - g.dp, 0);
        break;
      case 'g':
      case 'G':
        prec = g.d.length;
        break;
    }
  } else {
    const exact = exactDigits(ax);
    switch (verb) {
      case 'e':
      case 'E':
        g = roundDigits(exact, prec + 1);
        break;
      case 'f':
        g = roundDigits(exact, exact.dp + prec);
        break;
      case 'g':
      case 'G':
        if (prec === 0) prec = 1;
        g = roundDigits(exact, prec);
        break;
    }
  }
  g = g!;
  switch (verb) {
    case 'e':
    case 'E':
      return fmtE(neg, g, prec, verb);
    case 'f':
      return fmtF(neg, g, prec);
    case 'g':
    case 'G': {
      let eprec = prec;
      const nd = Math.max(g.d.length, 1);
      const dp = g.d.length === 0 ? 1 : g.dp;
      if (eprec > nd && nd >= dp) eprec = nd;
      if (shortest) eprec = 6;
      const exp = dp - 1;
      if (exp < -4 || exp >= eprec) {
        if (prec > nd) prec = nd;
        return fmtE(neg, g, prec - 1, verb === 'g' ? 'e' : 'E');
      }
      if (prec > dp) prec = nd;
      return fmtF(neg, g, Math.max(prec - dp, 0));
    }
  }
}
