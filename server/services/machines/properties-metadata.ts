/**
 * A machine's tags, label and description, kept in the domain's `<metadata>` in an element of this
 * project's own (`<vmangots:machine xmlns:vmangots="urn:vmango-ts:machine:1">`), beside vmango
 * 0.6's `<vmango:md>`, which stays as it is: 0.6 looks for its element by the local name `md`,
 * so it never mistakes this one for its own, and machines with properties still read in 0.6.
 *
 *   <vmangots:machine xmlns:vmangots="urn:vmango-ts:machine:1">
 *     <vmangots:tag>web</vmangots:tag>
 *     <vmangots:label colour="#2f855a">production</vmangots:label>
 *     <vmangots:description>Front end, Berlin</vmangots:description>
 *     <vmangots:owner>alice</vmangots:owner>
 *   </vmangots:machine>
 */
import {
  isDescription,
  isLabelName,
  isOwnerName,
  isTag,
  normalizeColour,
  normalizeTags,
  NO_PROPERTIES,
  type MachineProperties,
} from '../../core/machine-properties.js';
import { escapeXmlAttribute, escapeXmlText } from '../../formats/xml/escape.js';
import { attr, child, childrenNamed, namespaceOf, parseXmlDocument, type XmlElement } from '../../formats/xml/tree.js';

export const PROPERTIES_NAMESPACE = 'urn:vmango-ts:machine:1';
/** The prefix libvirt writes the element with (virDomainSetMetadata's key). */
export const PROPERTIES_PREFIX = 'vmangots';
const ELEMENT = 'machine';

function renderChildren(properties: MachineProperties): string {
  const tags = properties.tags.map((tag) => `  <tag>${escapeXmlText('tag', tag)}</tag>\n`).join('');
  const label = properties.label
    ? `  <label colour="${escapeXmlAttribute('label colour', properties.label.colour)}">${escapeXmlText('label', properties.label.name)}</label>\n`
    : '';
  const description = properties.description
    ? `  <description>${escapeXmlText('description', properties.description)}</description>\n`
    : '';
  const owner = properties.owner ? `  <owner>${escapeXmlText('owner', properties.owner)}</owner>\n` : '';
  return tags + label + description + owner;
}

/**
 * virDomainSetMetadata's arguments (VIR_DOMAIN_METADATA_ELEMENT): the element without a prefix
 * (libvirt puts it and its children into `uri` under `key`); xml null removes the element.
 */
export function propertiesForSetMetadata(properties: MachineProperties): { xml: string | null; key: string; uri: string } {
  const empty = properties.tags.length === 0 && !properties.label && !properties.description && !properties.owner;
  return {
    xml: empty ? null : `<${ELEMENT}>\n${renderChildren(properties)}</${ELEMENT}>`,
    key: PROPERTIES_PREFIX,
    uri: PROPERTIES_NAMESPACE,
  };
}

/** Our element among a domain's `<metadata>` children, by namespace (its local name alone is not ours). */
export function findPropertiesElement(metadata: XmlElement | undefined): XmlElement | undefined {
  return childrenNamed(metadata, ELEMENT).find((element) => namespaceOf(element) === PROPERTIES_NAMESPACE);
}

/** Reads the element leniently: a value someone edited into something the rules refuse is left out. */
export function parseProperties(element: XmlElement | undefined): MachineProperties {
  if (!element) return NO_PROPERTIES;
  const tags = normalizeTags(
    childrenNamed(element, 'tag')
      .map((tag) => tag.text.trim())
      .filter(isTag),
  );
  const labelElement = child(element, 'label');
  const colour = normalizeColour(attr(labelElement, 'colour') ?? '');
  const labelName = labelElement?.text.trim() ?? '';
  const description = child(element, 'description')?.text ?? '';
  const owner = child(element, 'owner')?.text.trim() ?? '';
  return {
    tags,
    ...(labelElement && colour && isLabelName(labelName) ? { label: { name: labelName, colour } } : {}),
    description: isDescription(description) ? description : '',
    ...(isOwnerName(owner) ? { owner } : {}),
  };
}

/** What virDomainGetMetadata answers for our namespace: the element alone. */
export function parsePropertiesXml(xml: string): MachineProperties {
  const root = parseXmlDocument(xml, 'machine properties XML');
  return parseProperties(root.localName === ELEMENT ? root : undefined);
}
