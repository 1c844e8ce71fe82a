/**
 * A clone's domain definition, made from its source's persistent one as virt-clone makes it: the
 * same devices and settings under a new name and UUID, with new disk paths, no MAC addresses
 * (libvirt makes new ones), no NVRAM path (libvirt makes a new variable store), displays on ports
 * chosen when it starts, serial logs and socket paths under the clone's name, and the creator in vmango's metadata set to who cloned it. The rest of the
 * metadata (0.6's element, this panel's tags and label) is copied as it is.
 */
import { parseXmlRoot, type XmlElement } from '../../../formats/xml/tree.js';
import { withAttributes, withText, writeXml } from '../../../formats/xml/write.js';
import { findMetadataElement } from '../metadata.js';

export interface CloneDefinition {
  name: string;
  /** With dashes, as libvirt writes it. */
  uuid: string;
  /** Disk source paths of the source → the clone's. */
  paths: ReadonlyMap<string, string>;
  creator: string;
}

const DISPLAYS = new Set(['vnc', 'spice']);
/** Character devices, whose log and output files must not be written by two guests at once. */
const CHAR_DEVICES = new Set(['serial', 'console', 'parallel', 'channel']);

/** The path with the source's name in its file name replaced by the clone's; undefined when it holds no such name. */
function renamedPath(path: string, from: string, to: string): string | undefined {
  const slash = path.lastIndexOf('/');
  const file = path.slice(slash + 1);
  if (from === '' || !file.includes(from)) return undefined;
  return path.slice(0, slash + 1) + file.split(from).join(to);
}

export function cloneDomainXml(sourceXml: string, clone: CloneDefinition): string {
  const root = parseXmlRoot(sourceXml, 'domain XML', 'domain');
  const sourceName = root.children.find((c) => c.localName === 'name')?.text.trim() ?? '';
  const metadata = findMetadataElement(root.children.find((c) => c.localName === 'metadata'));
  const under = (el: XmlElement, ...names: string[]): boolean => {
    let at: XmlElement | undefined = el.parent;
    for (const name of [...names].reverse()) {
      if (at?.localName !== name) return false;
      at = at.parent;
    }
    return at === root;
  };
  return writeXml(root, (el) => {
    if (el.parent === root) {
      if (el.localName === 'name') return withText(el, clone.name);
      if (el.localName === 'uuid') return withText(el, clone.uuid);
      // Ids of the source's own: a clone must not carry them.
      if (el.localName === 'genid') return null;
    }
    if (el.localName === 'nvram' && under(el, 'os')) return null;
    // libvirt refuses a <sysinfo> UUID other than the domain's.
    if (el.localName === 'entry' && el.attributes.name === 'uuid' && under(el, 'sysinfo', 'system')) {
      return withText(el, clone.uuid);
    }
    if (el.localName === 'mac' && under(el, 'devices', 'interface')) return null;
    if (el.localName === 'target' && under(el, 'devices', 'interface')) return null;
    if (el.localName === 'source' && under(el, 'devices', 'disk')) {
      const now = el.attributes.file;
      const next = now === undefined ? undefined : clone.paths.get(now);
      if (next !== undefined) return withAttributes(el, { file: next });
    }
    if (el.localName === 'graphics' && under(el, 'devices') && DISPLAYS.has(el.attributes.type ?? '')) {
      if (el.attributes.autoport === 'no' || el.attributes.port !== undefined) {
        return withAttributes(el, { autoport: 'yes', port: undefined, tlsPort: undefined, websocket: undefined });
      }
    }
    // A serial log or file output named after the source gets the clone's name; any other is not shared.
    const charDevice = el.parent && CHAR_DEVICES.has(el.parent.localName) && el.parent.parent?.localName === 'devices';
    if (charDevice && el.localName === 'log' && el.attributes.file !== undefined) {
      const renamed = renamedPath(el.attributes.file, sourceName, clone.name);
      return renamed === undefined ? null : withAttributes(el, { file: renamed });
    }
    if (charDevice && el.localName === 'source' && el.attributes.path !== undefined) {
      const renamed = renamedPath(el.attributes.path, sourceName, clone.name);
      return renamed === undefined ? undefined : withAttributes(el, { path: renamed });
    }
    if (metadata && el.parent === metadata && el.localName === 'creator') return withText(el, clone.creator);
    return undefined;
  });
}
