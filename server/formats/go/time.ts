/** Go's time.RFC3339Nano formatting, which vmango 0.6 used for image dates in JSON. */
import type { VolumeTimestamp } from '../../core/machine.js';

/** Go's zero time.Time, which 0.6 reported for volumes without timestamps. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** The local UTC offset (minutes east of UTC) at that instant, as Go's time.Local gives it. */
export function localUtcOffsetMinutes(epochMs: number): number {
  return -new Date(epochMs).getTimezoneOffset();
}

/**
 * `2006-01-02T15:04:05.999999999Z07:00`: the fraction without trailing zeros (none at all when
 * zero) and `Z` for a zero offset. `utcOffsetMinutes` defaults to the process's local zone at that
 * instant, as Go formats a time.Unix value.
 */
export function formatRfc3339Nano(time: VolumeTimestamp | undefined, utcOffsetMinutes?: number): string {
  if (time === undefined) return GO_ZERO_TIME;
  const offset = utcOffsetMinutes ?? localUtcOffsetMinutes(time.seconds * 1000);
  const shifted = new Date((time.seconds + offset * 60) * 1000);
  const date = `${pad(shifted.getUTCFullYear(), 4)}-${pad(shifted.getUTCMonth() + 1, 2)}-${pad(shifted.getUTCDate(), 2)}`;
  const clock = `${pad(shifted.getUTCHours(), 2)}:${pad(shifted.getUTCMinutes(), 2)}:${pad(shifted.getUTCSeconds(), 2)}`;
  const fraction = time.nanoseconds === 0 ? '' : '.' + pad(time.nanoseconds, 9).replace(/0+$/, '');
  const zone =
    offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60), 2)}:${pad(Math.abs(offset) % 60, 2)}`;
  return `${date}T${clock}${fraction}${zone}`;
}
