/** Escaping of printed action values in xml mode. */

/** Characters XML 1.0 cannot represent at all (not even as character references). */
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;',
};

function describe(ch: string): string {
  return 'U+' + ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
}

/**
 * Escapes & < > " ' so the text is safe in element content and in both quote styles of attributes, and
 * writes tab, newline and carriage return as character references so that XML's end-of-line and
 * attribute-value normalization cannot change them.
 * Returns an error description instead when the text holds a character XML 1.0 cannot carry.
 */
export function xmlEscapeChecked(text: string): string | { error: string } {
  const bad = XML_FORBIDDEN.exec(text);
  if (bad) {
    return {
      error: `printed value contains ${describe(bad[0])}, a character XML 1.0 cannot represent ` +
        `(allowed: tab, newline, carriage return, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF)`,
    };
  }
  return text.replace(/[&<>"'\t\n\r]/g, (c) => XML_ESCAPES[c]!);
}
