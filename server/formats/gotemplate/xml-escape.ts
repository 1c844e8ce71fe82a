/** Escaping of printed action values in xml mode: the project's XML attribute escaping (formats/xml/escape.ts). */
import { escapeXmlAttribute, xmlCharacterProblem } from '../xml/escape.js';

/**
 * The text escaped so it is safe in element content and in both quote styles of attributes, with
 * tab, newline and carriage return as character references (XML's normalization cannot change
 * them); or an error description when the text holds a character XML 1.0 cannot carry.
 */
export function xmlEscapeChecked(text: string): string | { error: string } {
  const problem = xmlCharacterProblem('printed value', text);
  return problem ? { error: problem } : escapeXmlAttribute('printed value', text);
}
