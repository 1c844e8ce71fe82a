/** Images: volumes of a hypervisor's image pool named by vmango's convention. */
export { parseImageName, splitOs, type ImageNameParts, type ImageNameResult } from './image-name.js';
export {
  imageFromVolume,
  parseVolumeTimestamp,
  volumeModifiedTime,
  type ImageFromVolumeResult,
  type ImageVolume,
} from './image-volume.js';
export { formatRfc3339Nano, GO_ZERO_TIME, localUtcOffsetMinutes } from '../../formats/go/time.js';
