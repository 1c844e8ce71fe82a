/** What a rendered volume template asks for: the volume's name, format, and whether it is a copy-on-write overlay. */
import { attr, child, parseXmlRoot, path } from '../../../formats/xml/tree.js';

export interface VolumePlan {
  name: string;
  /** `<target><format type>`; '' when the template leaves it to libvirt. */
  format: string;
  /** True when the XML declares a `<backingStore>`: create an overlay on the image instead of a full copy. */
  linked: boolean;
}

export class VolumeTemplateError extends Error {
  override readonly name = 'VolumeTemplateError';
}

/** Reads the rendered volume XML; the volume must be named `NAME_disk`, the name vmango finds and deletes. */
export function readVolumePlan(xml: string, machineName: string): VolumePlan {
  let volume;
  try {
    volume = parseXmlRoot(xml, 'volume XML rendered from the volume template', 'volume');
  } catch (err) {
    throw new VolumeTemplateError((err as Error).message);
  }
  const name = child(volume, 'name')?.text.trim() ?? '';
  const expected = `${machineName}_disk`;
  if (name !== expected) {
    throw new VolumeTemplateError(
      `the volume template names the volume ${JSON.stringify(name)}; it must be ${JSON.stringify(expected)} ` +
        "(<name>{{ .Machine.Name }}_disk</name>), the name vmango finds and deletes a machine's root disk by",
    );
  }
  return {
    name,
    format: attr(path(volume, 'target', 'format'), 'type') ?? '',
    linked: child(volume, 'backingStore') !== undefined,
  };
}
