/**
 * A small read-only element tree over libvirt's XML documents (domain, network, volume, metadata).
 *
 * Built on saxes, a strict XML 1.0 parser: it rejects documents that are not well-formed, decodes
 * every entity and character reference, and normalises line endings and attribute whitespace the
 * way libvirt's libxml2 does. fast-xml-parser was measured 5x slower on domain XML and accepts
 * mismatched tags, so it is not used here. The documents libvirt writes are first tried with a
 * much faster reader of a strict subset of XML (xml-fast-tree.ts) that builds the same tree and
 * leaves everything else, errors included, to saxes.
 */
import { SaxesParser } from 'saxes';
import { parseXmlTreeFast, type KeepSpec } from './fast-tree.js';

export type { KeepSpec } from './fast-tree.js';

export interface XmlElement {
  /** Qualified name as written, e.g. `vmango:md`. */
  readonly name: string;
  /** Name without its namespace prefix, e.g. `md`. */
  readonly localName: string;
  readonly prefix: string;
  /** Attributes by qualified name, values decoded. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** All character data (text and CDATA) directly inside this element, concatenated in order. */
  readonly text: string;
  readonly parent: XmlElement | undefined;
}

/** The document is not well-formed XML (or not the document that was expected). */
export class XmlParseError extends Error {
  override readonly name = 'XmlParseError';
}

interface MutableElement {
  name: string;
  localName: string;
  prefix: string;
  attributes: Record<string, string>;
  children: MutableElement[];
  text: string;
  parent: MutableElement | undefined;
}

/**
 * Parses a whole XML document and returns its root element.
 * `what` names the document in error messages ("domain XML", "network XML", …).
 *
 * With `keep`, the tree may be pruned to the elements it names (see KeepSpec): a reader that
 * looks only at those (by local name, as child/childrenNamed/path do) reads the same either way.
 */
export function parseXmlDocument(xml: string, what: string, keep?: KeepSpec): XmlElement {
  if (typeof xml !== 'string') {
    throw new XmlParseError(`${what} must be a string, got ${xml === null ? 'null' : typeof xml}`);
  }
  const fast = parseXmlTreeFast(xml, keep);
  if (fast) return fast;
  return parseWithSaxes(xml, what);
}

/** parseXmlDocument's reading of any document (and its errors), by saxes. Exported for the tests. */
export function parseWithSaxes(xml: string, what: string): XmlElement {
  const parser = new SaxesParser({ position: true });
  let root: MutableElement | undefined;
  let current: MutableElement | undefined;
  parser.on('opentag', (tag) => {
    const colon = tag.name.indexOf(':');
    const element: MutableElement = {
      name: tag.name,
      localName: colon < 0 ? tag.name : tag.name.slice(colon + 1),
      prefix: colon < 0 ? '' : tag.name.slice(0, colon),
      attributes: tag.attributes as Record<string, string>,
      children: [],
      text: '',
      parent: current,
    };
    if (current) current.children.push(element);
    else root = element;
    current = element;
  });
  parser.on('closetag', () => {
    current = current?.parent;
  });
  const addText = (text: string): void => {
    if (current) current.text += text;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  try {
    parser.write(xml).close();
  } catch (err) {
    throw new XmlParseError(`malformed ${what}: ${(err as Error).message}${openElements(current)}`);
  }
  if (!root) throw new XmlParseError(`malformed ${what}: the document has no root element`);
  return root;
}

function openElements(innermost: MutableElement | undefined): string {
  const names: string[] = [];
  for (let at = innermost; at; at = at.parent) names.unshift(`<${at.name}>`);
  return names.length === 0 ? '' : ` (inside ${names.join(' ')})`;
}

/** Parses a document and checks that its root element has the expected local name. */
export function parseXmlRoot(xml: string, what: string, rootLocalName: string, keep?: KeepSpec): XmlElement {
  const root = parseXmlDocument(xml, what, keep);
  if (root.localName !== rootLocalName) {
    throw new XmlParseError(`${what} must have a <${rootLocalName}> root element, got <${root.name}>`);
  }
  return root;
}

/** The attribute's value, or undefined when the element does not have it. */
export function attr(element: XmlElement | undefined, name: string): string | undefined {
  if (!element) return undefined;
  return Object.hasOwn(element.attributes, name) ? element.attributes[name] : undefined;
}

/** The first child element with this local name (any namespace). */
export function child(element: XmlElement | undefined, localName: string): XmlElement | undefined {
  if (!element) return undefined;
  for (const c of element.children) if (c.localName === localName) return c;
  return undefined;
}

/** Every child element with this local name (any namespace), in document order. */
export function childrenNamed(element: XmlElement | undefined, localName: string): XmlElement[] {
  if (!element) return [];
  return element.children.filter((c) => c.localName === localName);
}

/** Follows a path of local names through first matching children: `path(domain, 'os', 'type')`. */
export function path(element: XmlElement | undefined, ...localNames: string[]): XmlElement | undefined {
  let at = element;
  for (const name of localNames) at = child(at, name);
  return at;
}

/** The namespace URI the element's prefix (or the default namespace) is bound to, if any. */
export function namespaceOf(element: XmlElement): string | undefined {
  const declaration = element.prefix === '' ? 'xmlns' : `xmlns:${element.prefix}`;
  for (let at: XmlElement | undefined = element; at; at = at.parent) {
    const uri = attr(at, declaration);
    if (uri !== undefined) return uri;
  }
  return undefined;
}
