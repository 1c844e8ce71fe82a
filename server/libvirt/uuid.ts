import { ErrorCode, LibvirtError } from './errors.js';

const UUID_PATTERN = /^([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})$/i;

/** "fb6c4f622cf346239aee23f0005eb5fb" or dashed, any case → dashed lower case. */
export function normalizeUuid(uuid: string): string {
  const match = typeof uuid === 'string' ? UUID_PATTERN.exec(uuid.trim()) : null;
  if (match === null) {
    throw new LibvirtError(
      ErrorCode.INVALID_ARG,
      `invalid UUID ${JSON.stringify(uuid)}: expected 32 hex digits, with or without dashes (8-4-4-4-12)`,
    );
  }
  return match.slice(1).join('-').toLowerCase();
}
