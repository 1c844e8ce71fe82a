/**
 * Escaping for XML the panel builds itself (metadata, DHCP host entries), so that no value can
 * change the structure of the document and every value reads back exactly as it was written.
 */

/** Characters XML 1.0 cannot carry at all, not even as character references. */
const XML_FORBIDDEN =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const XML_ALLOWED_CHARACTERS = 'tab, newline, carriage return, U+0020-U+D7FF, U+E000-U+FFFD and U+10000-U+10FFFF';

/** A value that cannot be written into XML. */
export class XmlValueError extends Error {
  override readonly name = 'XmlValueError';
}

function codePointLabel(ch: string): string {
  return 'U+' + ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
}

/** Describes why `value` cannot be stored in XML, or returns undefined when it can. */
export function xmlCharacterProblem(field: string, value: string): string | undefined {
  const bad = XML_FORBIDDEN.exec(value);
  if (!bad) return undefined;
  return (
    `${field} contains ${codePointLabel(bad[0])} at position ${bad.index}, a character XML cannot carry; ` +
    `allowed are ${XML_ALLOWED_CHARACTERS}`
  );
}

function assertXmlCharacters(field: string, value: string): void {
  const problem = xmlCharacterProblem(field, value);
  if (problem) throw new XmlValueError(problem);
}

const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };

/**
 * Escapes element content. `>` is escaped too so `]]>` never appears; a carriage return becomes a
 * character reference because XML parsers turn a literal one into a newline.
 */
export function escapeXmlText(field: string, value: string): string {
  assertXmlCharacters(field, value);
  return value.replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c]!);
}

const ATTRIBUTE_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/**
 * Escapes an attribute value for either quote style. Tab, newline and carriage return become
 * character references because XML parsers turn literal ones into spaces.
 */
export function escapeXmlAttribute(field: string, value: string): string {
  assertXmlCharacters(field, value);
  return value.replace(/[&<>"'\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c]!);
}
