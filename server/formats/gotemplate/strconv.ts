/** Go's strconv quoting rules (Quote, QuoteToASCII, Unquote, UnquoteChar) for strings and runes. */

/** Go's unicode.IsPrint, approximated with Unicode general categories (letters, marks, numbers, punctuation, symbols, U+0020). */
export function isGoPrint(r: number): boolean {
  if (r === 0x20) return true;
  if (r < 0x20 || r === 0x7f || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) return false;
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(String.fromCodePoint(r));
}

function escapeRune(r: number, quote: number, asciiOnly: boolean): string {
  if (r === quote || r === 0x5c) return '\\' + String.fromCodePoint(r);
  if (asciiOnly ? r < 0x7f && isGoPrint(r) : isGoPrint(r)) return String.fromCodePoint(r);
  switch (r) {
    case 7:
      return '\\a';
    case 8:
      return '\\b';
    case 12:
      return '\\f';
    case 10:
      return '\\n';
    case 13:
      return '\\r';
    case 9:
      return '\\t';
    case 11:
      return '\\v';
  }
  if (r < 0x20 || r === 0x7f) return '\\x' + r.toString(16).padStart(2, '0');
  if (r < 0x10000) return '\\u' + r.toString(16).padStart(4, '0');
  return '\\U' + r.toString(16).padStart(8, '0');
}

/** Iterates code points; a lone surrogate yields -1 (Go sees invalid UTF-8 and writes \ufffd... as RuneError). */
function* codePoints(s: string): Generator<number> {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        yield (c - 0xd800) * 0x400 + (d - 0xdc00) + 0x10000;
        i++;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) yield 0xfffd;
    else yield c;
  }
}

/** strconv.Quote (asciiOnly=false) / strconv.QuoteToASCII (asciiOnly=true). */
export function goQuote(s: string, asciiOnly = false): string {
  let out = '"';
  for (const r of codePoints(s)) out += escapeRune(r, 0x22, asciiOnly);
  return out + '"';
}

/** strconv.QuoteRune / QuoteRuneToASCII. */
export function goQuoteRune(r: number, asciiOnly = false): string {
  if (r < 0 || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) r = 0xfffd;
  return "'" + escapeRune(r, 0x27, asciiOnly) + "'";
}

/** strconv.Quote truncated like %.10q (precision counts runes of the input). */
export function goQuotePrec(s: string, prec: number): string {
  const runes = [...codePoints(s)];
  return goQuote(String.fromCodePoint(...runes.slice(0, prec)));
}

export class SyntaxError_ extends Error {
  constructor() {
    super('invalid syntax');
  }
}

const hexVal = (c: string): number => {
  const v = parseInt(c, 16);
  return /^[0-9a-fA-F]$/.test(c) ? v : -1;
};

/** strconv.UnquoteChar: decodes one (possibly escaped) character of s at index i. */
export function unquoteChar(s: string, i: number, quote: string): { value: number; next: number } {
  const c = s[i];
  if (c === undefined) throw new SyntaxError_();
  if (c === quote && (quote === "'" || quote === '"')) throw new SyntaxError_();
  if (c !== '\\') {
    const cp = s.codePointAt(i)!;
    return { value: cp, next: i + (cp > 0xffff ? 2 : 1) };
  }
  const e = s[i + 1];
  if (e === undefined) throw new SyntaxError_();
  const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 0x5c };
  if (e in simple) return { value: simple[e]!, next: i + 2 };
  if (e === 'x' || e === 'u' || e === 'U') {
    const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
    let v = 0;
    for (let j = 0; j < n; j++) {
      const h = s[i + 2 + j];
      if (h === undefined || hexVal(h) < 0) throw new SyntaxError_();
      v = v * 16 + hexVal(h);
    }
    if (e === 'x') return { value: v, next: i + 2 + n };
    if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) throw new SyntaxError_();
    return { value: v, next: i + 2 + n };
  }
  if (e >= '0' && e <= '7') {
    let v = 0;
    for (let j = 0; j < 3; j++) {
      const d = s[i + 1 + j];
      if (d === undefined || d < '0' || d > '7') throw new SyntaxError_();
      v = v * 8 + (d.charCodeAt(0) - 48);
    }
    if (v > 255) throw new SyntaxError_();
    return { value: v, next: i + 4 };
  }
  if (e === "'" || e === '"') {
    if (e !== quote) throw new SyntaxError_();
    return { value: e.charCodeAt(0), next: i + 2 };
  }
  throw new SyntaxError_();
}

/**
 * strconv.Unquote for "..." and `...` literals. \x escapes produce raw bytes in Go; here bytes >= 0x80
 * become the corresponding code point, which is only different for invalid UTF-8 sequences.
 */
export function goUnquote(lit: string): string {
  if (lit.length < 2) throw new SyntaxError_();
  const q = lit[0]!;
  if (q !== lit[lit.length - 1]) throw new SyntaxError_();
  const body = lit.slice(1, -1);
  if (q === '`') {
    if (body.includes('`')) throw new SyntaxError_();
    return body.replace(/\r/g, '');
  }
  if (q !== '"') throw new SyntaxError_();
  const bytes: number[] = [];
  let out = '';
  const flushBytes = () => {
    if (bytes.length) {
      out += Buffer.from(bytes).toString('utf8');
      bytes.length = 0;
    }
  };
  let i = 0;
  while (i < body.length) {
    if (body[i] === '\n') throw new SyntaxError_();
    const isByteEscape = body[i] === '\\' && (body[i + 1] === 'x' || (body[i + 1]! >= '0' && body[i + 1]! <= '7'));
    const { value, next } = unquoteChar(body, i, '"');
    if (isByteEscape) bytes.push(value);
    else {
      flushBytes();
      out += String.fromCodePoint(value);
    }
    i = next;
  }
  flushBytes();
  return out;
}
