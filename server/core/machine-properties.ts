/**
 * What a user keeps on a machine beside what it runs with: free-form tags, one coloured label and
 * a description. The rules for each live here, once; the metadata module stores them and the
 * services check every change against them.
 */

export const TAG_RULE = 'a tag is 1–64 letters, digits and . _ - : /, starting with a letter or digit';
const TAG = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;
export const MAX_TAGS = 32;

export const LABEL_NAME_RULE = 'a label is 1–32 characters without control characters';
const MAX_LABEL_NAME = 32;
export const COLOUR_RULE = 'a colour is #rrggbb or 0xRRGGBB (six hexadecimal digits)';
const COLOUR = /^(?:#|0x)([0-9a-fA-F]{6})$/;

export const MAX_DESCRIPTION = 1024;
// Tab and newline are text; other control characters (and what XML cannot carry) are not.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f\ufffe\uffff]/;

export interface MachineLabel {
  name: string;
  /** `#rrggbb`, lower case. */
  colour: string;
}

export interface MachineProperties {
  /** Sorted, without duplicates. */
  tags: readonly string[];
  label?: MachineLabel;
  description: string;
  /** The user who created (or cloned) the machine, recorded then; a property change keeps it. */
  owner?: string;
}

/** A user name as the config allows one (config/labeled-blocks.ts's NAME_RULE). */
export function isOwnerName(value: string): boolean {
  return value.length >= 1 && value.length <= 128 && !/[\u0000-\u001f\u007f/]/.test(value) && value.trim() === value;
}

/**
 * Who owns a machine for the `owned` grant scope: the owner this project recorded, else — for a
 * machine made by vmango 0.6 or before owners were recorded — the creator in 0.6's metadata.
 */
export function ownerOf(machine: { properties: MachineProperties; creator: string }): string {
  return machine.properties.owner ?? machine.creator;
}

export const NO_PROPERTIES: MachineProperties = Object.freeze({ tags: Object.freeze([]) as readonly string[], description: '' });

export function isTag(value: unknown): value is string {
  return typeof value === 'string' && TAG.test(value);
}

/** `#rrggbb` for an accepted spelling of a colour; undefined otherwise. */
export function normalizeColour(value: string): string | undefined {
  const match = COLOUR.exec(value.trim());
  return match ? `#${match[1]!.toLowerCase()}` : undefined;
}

export function isLabelName(value: string): boolean {
  const trimmed = value.trim();
  return trimmed.length > 0 && [...trimmed].length <= MAX_LABEL_NAME && !CONTROL.test(trimmed) && !/[\n\t]/.test(trimmed);
}

export function isDescription(value: string): boolean {
  return [...value].length <= MAX_DESCRIPTION && !CONTROL.test(value);
}

/** Tags as they are kept: sorted, each once. */
export function normalizeTags(tags: Iterable<string>): string[] {
  return [...new Set(tags)].sort();
}

/**
 * A change to a machine's properties; what is absent stays as it is. `tags` replaces the set;
 * `addTags` and `removeTags` edit it. `label: null` removes the label.
 */
export interface PropertiesChange {
  tags?: string[];
  addTags?: string[];
  removeTags?: string[];
  label?: MachineLabel | null;
  description?: string;
  /** libvirt's autostart flag (started with the hypervisor); not metadata. */
  autostart?: boolean;
}

export function applyPropertiesChange(current: MachineProperties, change: PropertiesChange): MachineProperties {
  let tags = new Set(change.tags ?? current.tags);
  for (const tag of change.addTags ?? []) tags.add(tag);
  for (const tag of change.removeTags ?? []) tags.delete(tag);
  tags = new Set(normalizeTags(tags));
  const label = change.label === null ? undefined : (change.label ?? current.label);
  return {
    tags: [...tags],
    ...(label ? { label: { name: label.name.trim(), colour: label.colour } } : {}),
    description: change.description ?? current.description,
    ...(current.owner !== undefined ? { owner: current.owner } : {}),
  };
}
