/** Checks on what a user asks a new machine to be: its name and its userdata. */
import { xmlCharacterProblem } from '../../formats/xml/escape.js';

export const MACHINE_NAME_MAX_LENGTH = 63;
/** Largest userdata accepted, in UTF-8 bytes (cloud-init's own limit for user data is larger). */
export const MAX_USERDATA_BYTES = 64 * 1024;

const RULE = 'a hostname label: 1 to 63 characters of a-z, 0-9 and "-", not starting or ending with "-"';

/** Why `name` cannot be a machine name, or undefined when it can. */
export function machineNameProblem(name: string): string | undefined {
  if (name === '') return `machine name is required; it must be ${RULE}`;
  const length = [...name].length;
  if (length > MACHINE_NAME_MAX_LENGTH) {
    return `machine name is ${length} characters long; it must be ${RULE}`;
  }
  const bad = /[^a-z0-9-]/u.exec(name);
  if (bad) {
    const shown = JSON.stringify(bad[0]);
    const hint = /[A-Z]/.test(bad[0]) ? ' (upper-case letters are not allowed)' : '';
    return `machine name contains ${shown} at position ${bad.index + 1}${hint}; it must be ${RULE}`;
  }
  if (name.startsWith('-') || name.endsWith('-')) {
    return `machine name ${JSON.stringify(name)} ${name.startsWith('-') ? 'starts' : 'ends'} with "-"; it must be ${RULE}`;
  }
  return undefined;
}

/** Why `userdata` cannot be used, or undefined when it can. */
export function userdataProblem(userdata: string, maxBytes: number = MAX_USERDATA_BYTES): string | undefined {
  const bytes = Buffer.byteLength(userdata, 'utf8');
  if (bytes > maxBytes) {
    return `userdata is ${bytes} bytes; at most ${maxBytes} bytes (${maxBytes / 1024} KiB) are allowed`;
  }
  return xmlCharacterProblem('userdata', userdata);
}
