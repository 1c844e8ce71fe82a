/** The images of a hypervisor: volumes of its image pool named by vmango's convention. */
import type { HypervisorConfig } from '../../config/index.js';
import type { Connection, StorageVolumeListEntry } from '../../libvirt/index.js';
import type { Logger } from '../../core/log.js';
import type { Image } from '../../core/machine.js';
import { imageFromVolume } from './image-volume.js';

export interface ImageWithVolume {
  image: Image;
  volume: StorageVolumeListEntry;
}

/** Every image of the pool, with its volume; other volumes are skipped with a log line saying why. */
export async function listImageVolumes(conn: Connection, hv: HypervisorConfig, logger: Logger): Promise<ImageWithVolume[]> {
  const pool = await conn.lookupStoragePoolByName(hv.imageStoragePool);
  const volumes = await pool.listAllVolumes();
  const images: ImageWithVolume[] = [];
  for (const volume of volumes) {
    let result;
    try {
      result = imageFromVolume({ ...volume, poolName: hv.imageStoragePool });
    } catch (err) {
      result = { ok: false as const, reason: (err as Error).message };
    }
    if (result.ok) images.push({ image: result.image, volume });
    else
      logger.warn(
        { hypervisor: hv.name, pool: hv.imageStoragePool, volume: volume.name, reason: result.reason },
        'skipping volume',
      );
  }
  // libvirt lists a pool's volumes in the order of its hash table, which changes between calls.
  return images.sort((a, b) => (a.image.id < b.image.id ? -1 : a.image.id > b.image.id ? 1 : 0));
}

export async function listImages(conn: Connection, hv: HypervisorConfig, logger: Logger): Promise<Image[]> {
  return (await listImageVolumes(conn, hv, logger)).map((entry) => entry.image);
}

/** The image named `id` (its volume's name), or undefined when the pool has no such image. */
export async function findImage(
  conn: Connection,
  hv: HypervisorConfig,
  id: string,
  logger: Logger,
): Promise<ImageWithVolume | undefined> {
  return (await listImageVolumes(conn, hv, logger)).find((entry) => entry.image.id === id);
}
