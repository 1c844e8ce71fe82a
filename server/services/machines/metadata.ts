/**
 * vmango's domain metadata (`<vmango:md xmlns:vmango="http://vmango.org/schema/md">`), the only
 * place a machine's plan, creator, image, keys and userdata are kept. Written with the same
 * elements and prefix as vmango 0.6 so either program can read the other's machines; read by local
 * names, ignoring namespaces, as 0.6 does.
 */
import { TrustedXml } from '../../formats/gotemplate/index.js';
import { escapeXmlAttribute, escapeXmlText } from '../../formats/xml/escape.js';
import {
  attr,
  child,
  childrenNamed,
  namespaceOf,
  parseXmlDocument,
  XmlParseError,
  type XmlElement,
} from '../../formats/xml/tree.js';
import type { SshKey } from '../../core/machine.js';

export const VMANGO_METADATA_NAMESPACE = 'http://vmango.org/schema/md';
/** The prefix 0.6 uses, and the key to give virDomainSetMetadata. */
export const VMANGO_METADATA_PREFIX = 'vmango';

export interface VmangoMetadata {
  imageId: string;
  os: string;
  creator: string;
  plan: string;
  sshKeys: SshKey[];
  userdata: string;
}

/**
 * Go's strings.TrimSpace: strips Unicode white space (unicode.IsSpace) from both ends. Differs from
 * String.prototype.trim, which also strips U+FEFF and keeps U+0085.
 */
export function goTrimSpace(s: string): string {
  return s.replace(GO_SPACE_START, '').replace(GO_SPACE_END, '');
}
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
const GO_SPACE_START = new RegExp(`^[${GO_SPACE}]+`);
const GO_SPACE_END = new RegExp(`[${GO_SPACE}]+$`);

/** Userdata as 0.6 stores and reports it: trimmed, plus one newline. */
export function normalizeUserdata(userdata: string): string {
  return goTrimSpace(userdata) + '\n';
}

function renderElements(md: VmangoMetadata, prefix: string): string {
  const tag = (name: string): string => (prefix === '' ? name : `${prefix}:${name}`);
  const field = (name: string, value: string): string =>
    `  <${tag(name)}>${escapeXmlText(`metadata ${name}`, value)}</${tag(name)}>\n`;
  const keys = md.sshKeys
    .map(
      (key) =>
        `    <${tag('key')} name="${escapeXmlAttribute('ssh key name', key.name)}">` +
        `${escapeXmlText(`ssh key "${key.name}"`, key.public)}</${tag('key')}>\n`,
    )
    .join('');
  return (
    field('imageId', md.imageId) +
    field('os', md.os) +
    field('creator', md.creator) +
    field('plan', md.plan) +
    `  <${tag('sshkeys')}>\n${keys}  </${tag('sshkeys')}>\n` +
    field('userdata', md.userdata)
  );
}

/**
 * The metadata element for the domain template's `{{ .Metadata }}`: the same elements, order and
 * prefix as 0.6, with every value escaped (userdata is escaped text, not CDATA, so `]]>` is safe).
 * Throws XmlValueError naming the field when a value holds a character XML cannot carry.
 */
export function buildMetadata(md: VmangoMetadata): TrustedXml {
  return new TrustedXml(
    `<vmango:md xmlns:vmango="${VMANGO_METADATA_NAMESPACE}">\n${renderElements(md, VMANGO_METADATA_PREFIX)}</vmango:md>`,
  );
}

/**
 * Arguments for virDomainSetMetadata(VIR_DOMAIN_METADATA_ELEMENT, xml, key, uri). libvirt puts the
 * element and its unprefixed descendants into `uri` under prefix `key` itself, and refuses an
 * element that already declares that prefix, so the element is given here without a namespace.
 * Stored, it is identical to what buildMetadata writes.
 */
export function buildMetadataForSetMetadata(md: VmangoMetadata): { xml: string; key: string; uri: string } {
  return {
    xml: `<md>\n${renderElements(md, '')}</md>`,
    key: VMANGO_METADATA_PREFIX,
    uri: VMANGO_METADATA_NAMESPACE,
  };
}

/**
 * Finds vmango's `md` element among the children of a domain's `<metadata>`: the first one in
 * vmango's namespace, else (as 0.6, which ignores namespaces) the first element named `md`.
 */
export function findMetadataElement(metadata: XmlElement | undefined): XmlElement | undefined {
  const candidates = childrenNamed(metadata, 'md');
  return candidates.find((md) => namespaceOf(md) === VMANGO_METADATA_NAMESPACE) ?? candidates[0];
}

/** Reads a vmango `md` element by local names. Missing fields read as ''. */
export function parseMetadata(md: XmlElement): VmangoMetadata {
  const text = (name: string): string => child(md, name)?.text ?? '';
  return {
    imageId: text('imageId'),
    os: text('os'),
    creator: text('creator'),
    plan: text('plan'),
    sshKeys: childrenNamed(child(md, 'sshkeys'), 'key').map((key) => ({
      name: attr(key, 'name') ?? attributeByLocalName(key, 'name') ?? '',
      public: key.text,
    })),
    userdata: normalizeUserdata(text('userdata')),
  };
}

/** Reads the metadata document virDomainGetMetadata returns (a single `md` element). */
export function parseMetadataXml(xml: string): VmangoMetadata {
  const root = parseXmlDocument(xml, 'vmango metadata XML');
  if (root.localName !== 'md') {
    throw new XmlParseError(`vmango metadata XML must have an <md> root element, got <${root.name}>`);
  }
  return parseMetadata(root);
}

// Go's encoding/xml matches an unqualified `name,attr` tag against any attribute with that local name.
function attributeByLocalName(element: XmlElement, localName: string): string | undefined {
  for (const [qualified, value] of Object.entries(element.attributes)) {
    if (qualified.slice(qualified.indexOf(':') + 1) === localName && !qualified.startsWith('xmlns')) return value;
  }
  return undefined;
}
