/** Turning a storage volume of the image pool into an Image. */
import type { Image, VolumeTimestamp } from '../../core/machine.js';
import { path, parseXmlRoot } from '../../formats/xml/tree.js';
import { parseImageName } from './image-name.js';

export interface ImageVolume {
  name: string;
  /** Bytes, from virStorageVolGetInfo. */
  capacity: number;
  allocation: number;
  /** virStorageVolGetXMLDesc, for the modification time. */
  xml: string;
  poolName: string;
}

export type ImageFromVolumeResult = { ok: true; image: Image } | { ok: false; reason: string };

/** A libvirt timestamp `sec[.nsec]`; undefined when it is not one. */
export function parseVolumeTimestamp(text: string): VolumeTimestamp | undefined {
  const parts = /^(\d+)(?:\.(\d{1,9}))?$/.exec(text.trim());
  if (!parts) return undefined;
  const seconds = Number(parts[1]);
  if (!Number.isSafeInteger(seconds)) return undefined;
  return { seconds, nanoseconds: parts[2] === undefined ? 0 : Number(parts[2].padEnd(9, '0')) };
}

/** The volume's `<target><timestamps><mtime>`; undefined when libvirt reports none (LVM, …). */
export function volumeModifiedTime(volumeXml: string): VolumeTimestamp | undefined {
  const volume = parseXmlRoot(volumeXml, 'storage volume XML', 'volume');
  const mtime = path(volume, 'target', 'timestamps', 'mtime');
  return mtime === undefined ? undefined : parseVolumeTimestamp(mtime.text);
}

/**
 * The Image for a volume of the image pool, or the reason it is not one (to log and skip, as 0.6
 * did). Size is the allocation, as in 0.6. Throws XmlParseError only for malformed volume XML.
 */
export function imageFromVolume(volume: ImageVolume): ImageFromVolumeResult {
  const parsed = parseImageName(volume.name);
  if (!parsed.ok) return parsed;
  return {
    ok: true,
    image: {
      id: volume.name,
      ...parsed.image,
      sizeBytes: volume.allocation,
      capacityBytes: volume.capacity,
      modified: volumeModifiedTime(volume.xml),
      poolName: volume.poolName,
    },
  };
}
