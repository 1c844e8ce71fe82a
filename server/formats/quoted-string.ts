/**
 * Double-quoted strings in the escape syntax JSON and YAML share: `\"`, `\\`, `\n`, `\r`, `\t`, and
 * `\uXXXX` (lower-case hex) for every UTF-16 unit a format cannot carry as it is. A surrogate
 * without its pair (which UTF-8 cannot encode) becomes U+FFFD, written as the format wants it.
 */
export interface QuotingRules {
  /** Whether this code unit (not a quote, backslash, \n, \r, \t or surrogate) is written as `\uXXXX`. */
  escapes(code: number): boolean;
  /** What a lone surrogate is written as. */
  loneSurrogate: string;
}

const HEX = '0123456789abcdef';

function unicodeEscape(code: number): string {
  return '\\u' + HEX[(code >> 12) & 15]! + HEX[(code >> 8) & 15]! + HEX[(code >> 4) & 15]! + HEX[code & 15]!;
}

export function quoteString(value: string, rules: QuotingRules): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += value[i]! + value[i + 1]!;
        i++;
      } else {
        out += rules.loneSurrogate;
      }
    } else if (code >= 0xdc00 && code <= 0xdfff) out += rules.loneSurrogate;
    else if (code === 0x22) out += '\\"';
    else if (code === 0x5c) out += '\\\\';
    else if (code === 0x0a) out += '\\n';
    else if (code === 0x0d) out += '\\r';
    else if (code === 0x09) out += '\\t';
    else if (rules.escapes(code)) out += unicodeEscape(code);
    else out += value[i]!;
  }
  return out + '"';
}
