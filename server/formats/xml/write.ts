/**
 * Writes an element tree (tree.ts) back as XML, with edits: how a definition libvirt gave us is
 * changed and handed back (a clone's domain) without ever pasting strings into XML. Every name,
 * attribute and text is escaped on the way out, so no value can change the document's structure.
 *
 * The trees carry an element's character data as one string, so an element with both child
 * elements and text other than white space (mixed content) cannot be written faithfully: it is
 * refused, never reordered. Indentation (white space between child elements) is dropped.
 */
import { escapeXmlAttribute, escapeXmlText } from './escape.js';
import type { XmlElement } from './tree.js';

/** What an edit does with an element: undefined keeps it, null drops it, an element replaces it. */
export type XmlEdit = (element: XmlElement) => XmlElement | null | undefined;

export class XmlWriteError extends Error {
  override readonly name = 'XmlWriteError';
}

// XML 1.0 names as libvirt's documents use them (letters, digits, '_', '-', '.', one ':' prefix).
const NAME = /^[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?$/;

function checkName(name: string): string {
  if (!NAME.test(name)) throw new XmlWriteError(`${JSON.stringify(name.slice(0, 60))} is not an XML name this writer allows`);
  return name;
}

/** A new element for an edit to return (or to put among another's children). */
export function xmlElement(
  name: string,
  attributes: Record<string, string> = {},
  content: readonly XmlElement[] | string = [],
): XmlElement {
  const colon = name.indexOf(':');
  return {
    name,
    localName: colon < 0 ? name : name.slice(colon + 1),
    prefix: colon < 0 ? '' : name.slice(0, colon),
    attributes,
    children: typeof content === 'string' ? [] : content,
    text: typeof content === 'string' ? content : '',
    parent: undefined,
  };
}

/** The element with some attributes changed (a value of undefined removes that attribute). */
export function withAttributes(element: XmlElement, changes: Record<string, string | undefined>): XmlElement {
  const attributes: Record<string, string> = { ...element.attributes };
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) delete attributes[name];
    else attributes[name] = value;
  }
  return { ...element, attributes };
}

/** The element with its text replaced (a leaf element). */
export function withText(element: XmlElement, text: string): XmlElement {
  return { ...element, children: [], text };
}

function write(element: XmlElement, edit: XmlEdit | undefined, out: string[]): void {
  const name = checkName(element.name);
  out.push('<', name);
  for (const [attribute, value] of Object.entries(element.attributes)) {
    out.push(' ', checkName(attribute), '="', escapeXmlAttribute(`attribute ${attribute} of <${name}>`, value), '"');
  }
  if (element.children.length > 0 && element.text.trim() !== '') {
    throw new XmlWriteError(`<${name}> has both child elements and text; this writer cannot keep their order`);
  }
  const children = element.children.flatMap((c) => {
    const edited = edit?.(c);
    return edited === null ? [] : [edited ?? c];
  });
  if (children.length > 0) {
    out.push('>');
    for (const c of children) write(c, edit, out);
    out.push('</', name, '>');
  } else if (element.children.length === 0 && element.text !== '') {
    out.push('>', escapeXmlText(`text of <${name}>`, element.text), '</', name, '>');
  } else {
    out.push('/>');
  }
}

/** The document rooted at `root`, each descendant passed through `edit` first (the root is not). */
export function writeXml(root: XmlElement, edit?: XmlEdit): string {
  const out: string[] = [];
  write(root, edit, out);
  return out.join('');
}
