/**
 * Changing a machine's tags, label, description and autostart flag. The properties are one
 * metadata element (properties-metadata.ts), written to the live definition and the persistent
 * one alike, so a running machine shows the change at once and keeps it after a restart; the
 * autostart flag is libvirt's own. When the second write fails the first is put back.
 */
import {
  applyPropertiesChange,
  COLOUR_RULE,
  isDescription,
  isLabelName,
  isTag,
  LABEL_NAME_RULE,
  MAX_DESCRIPTION,
  MAX_TAGS,
  normalizeColour,
  NO_PROPERTIES,
  TAG_RULE,
  type MachineProperties,
  type PropertiesChange,
} from '../../core/machine-properties.js';
import type { PropertiesField } from '../../core/requests.js';
import { ServiceError } from '../../core/service-error.js';
import { AffectFlags, ErrorCode, LibvirtError, type Domain } from '../../libvirt/index.js';
import { parsePropertiesXml, propertiesForSetMetadata, PROPERTIES_NAMESPACE } from './properties-metadata.js';

function bad(field: PropertiesField, message: string): never {
  throw new ServiceError('bad-request', message, { fields: [field] });
}

/** Checks every value of a change against the rules; the change with colours normalized. */
export function checkPropertiesChange(change: PropertiesChange): PropertiesChange {
  const checked: PropertiesChange = { ...change };
  for (const field of ['tags', 'addTags', 'removeTags'] as const) {
    const tags = change[field];
    if (tags === undefined) continue;
    const name: PropertiesField = field === 'tags' ? 'Tags' : field === 'addTags' ? 'AddTags' : 'RemoveTags';
    for (const tag of tags) if (!isTag(tag)) bad(name, `${name}: "${String(tag).slice(0, 70)}" is not a tag; ${TAG_RULE}`);
  }
  if (change.label) {
    if (!isLabelName(change.label.name))
      bad('Label', `Label: "${change.label.name.slice(0, 40)}" is not a label name; ${LABEL_NAME_RULE}`);
    const colour = normalizeColour(change.label.colour);
    if (!colour) bad('Label', `Label: "${change.label.colour.slice(0, 20)}" is not a colour; ${COLOUR_RULE}`);
    checked.label = { name: change.label.name.trim(), colour };
  }
  if (change.description !== undefined && !isDescription(change.description)) {
    bad(
      'Description',
      `Description: at most ${MAX_DESCRIPTION} characters, without control characters other than tab and newline`,
    );
  }
  return checked;
}

function checkTagCount(properties: MachineProperties): void {
  if (properties.tags.length > MAX_TAGS)
    bad('Tags', `a machine carries at most ${MAX_TAGS} tags; this change leaves ${properties.tags.length}`);
}

async function readProperties(domain: Domain): Promise<MachineProperties> {
  try {
    return parsePropertiesXml(await domain.getMetadata({ type: 'element', uri: PROPERTIES_NAMESPACE }));
  } catch (err) {
    if (err instanceof LibvirtError && err.code === ErrorCode.NO_DOMAIN_METADATA) return NO_PROPERTIES;
    throw err;
  }
}

/** The definitions a change goes to: the running one and the persistent one (a transient domain has only the first). */
export async function writeProperties(domain: Domain, properties: MachineProperties): Promise<void> {
  const { xml, key, uri } = propertiesForSetMetadata(properties);
  const running = await domain.isActive();
  try {
    await domain.setMetadata(xml, {
      type: 'element',
      key,
      uri,
      flags: running ? AffectFlags.LIVE | AffectFlags.CONFIG : AffectFlags.CONFIG,
    });
  } catch (err) {
    // A transient domain has no persistent definition to change.
    if (!(running && err instanceof LibvirtError && err.code === ErrorCode.OPERATION_INVALID)) throw err;
    await domain.setMetadata(xml, { type: 'element', key, uri, flags: AffectFlags.LIVE });
  }
}

async function writeAutostart(domain: Domain, autostart: boolean): Promise<void> {
  try {
    await domain.setAutostart(autostart);
  } catch (err) {
    if (err instanceof LibvirtError && err.code === ErrorCode.OPERATION_INVALID) {
      throw new ServiceError(
        'bad-request',
        `Autostart: ${domain.name} is a transient domain (not defined), which libvirt cannot start with the host`,
        {
          fields: ['Autostart'],
        },
      );
    }
    throw err;
  }
}

/** Applies a checked change; resolves with the properties now kept. */
export async function changeProperties(domain: Domain, change: PropertiesChange): Promise<MachineProperties> {
  const before = await readProperties(domain);
  const after = applyPropertiesChange(before, change);
  checkTagCount(after);
  const metadataChanges =
    change.tags !== undefined ||
    change.addTags !== undefined ||
    change.removeTags !== undefined ||
    change.label !== undefined ||
    change.description !== undefined;
  let autostartBefore: boolean | undefined;
  if (change.autostart !== undefined) {
    autostartBefore = await domain.getAutostart();
    if (autostartBefore !== change.autostart) await writeAutostart(domain, change.autostart);
  }
  if (metadataChanges) {
    try {
      await writeProperties(domain, after);
    } catch (err) {
      if (autostartBefore !== undefined && autostartBefore !== change.autostart) {
        await domain.setAutostart(autostartBefore).catch(() => undefined);
      }
      throw err;
    }
  }
  return after;
}
