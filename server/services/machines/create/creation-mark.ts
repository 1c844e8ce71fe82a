/**
 * The mark a create leaves on the hypervisor while it works: an empty volume `NAME_creating` in
 * the root pool, made before anything else and removed once the machine is complete (or fully
 * rolled back). It is how every panel replica knows a name is being created (a second create of it
 * fails to make the mark: 409), and how the sweeper tells the leftovers of an interrupted create
 * from volumes of the same names that vmango did not make. A rebuild leaves `NAME_rebuilding` the
 * same way (rebuild-machine.ts): while it is there, a root disk or config drive of NAME that no
 * domain uses is the rebuild's.
 */
import { ErrorCode, LibvirtError, type StoragePool, type StorageVolume } from '../../../libvirt/index.js';
import { escapeXmlText } from '../../../formats/xml/escape.js';
import { machineNameProblem } from '../machine-name.js';

const SUFFIX = '_creating';
const REBUILD_SUFFIX = '_rebuilding';

export function creationMarkName(machineName: string): string {
  return `${machineName}${SUFFIX}`;
}

/** The machine a mark volume is for, or undefined when the volume is not a mark. */
export function markedMachine(volumeName: string): string | undefined {
  if (!volumeName.endsWith(SUFFIX)) return undefined;
  const name = volumeName.slice(0, -SUFFIX.length);
  return machineNameProblem(name) === undefined ? name : undefined;
}

export function rebuildMarkName(machineName: string): string {
  return `${machineName}${REBUILD_SUFFIX}`;
}

/** The machine a rebuild mark volume is for, or undefined when the volume is not one. */
export function rebuildMarkedMachine(volumeName: string): string | undefined {
  if (!volumeName.endsWith(REBUILD_SUFFIX)) return undefined;
  const name = volumeName.slice(0, -REBUILD_SUFFIX.length);
  return machineNameProblem(name) === undefined ? name : undefined;
}

/** Places the mark; undefined when a mark of that name is there already (a create under way elsewhere). */
export function placeCreationMark(pool: StoragePool, machineName: string): Promise<StorageVolume | undefined> {
  return placeMark(pool, creationMarkName(machineName));
}

/** Places a rebuild's mark; undefined when one is there already (a rebuild under way elsewhere). */
export function placeRebuildMark(pool: StoragePool, machineName: string): Promise<StorageVolume | undefined> {
  return placeMark(pool, rebuildMarkName(machineName));
}

async function placeMark(pool: StoragePool, markName: string): Promise<StorageVolume | undefined> {
  const xml =
    `<volume><name>${escapeXmlText('mark name', markName)}</name>` +
    '<capacity unit="bytes">0</capacity><target><format type="raw"/></target></volume>';
  try {
    return await pool.createVolume(xml, { onLateResult: (late) => void late.delete().catch(() => undefined) });
  } catch (err) {
    if (err instanceof LibvirtError && err.code === ErrorCode.STORAGE_VOL_EXIST) return undefined;
    throw err;
  }
}
