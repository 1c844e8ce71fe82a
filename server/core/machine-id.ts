/**
 * A machine's id: its libvirt domain UUID as 32 lower-case hex digits without dashes, the id
 * vmango 0.6 showed. Callers may also give the UUID with dashes, in any case.
 */
const MACHINE_ID = /^(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** What a machine id looks like, for messages that refuse one. */
export const MACHINE_ID_RULE = 'a machine id is 32 hex digits, or a UUID with dashes';

export function isMachineId(id: unknown): id is string {
  return typeof id === 'string' && MACHINE_ID.test(id);
}

/** The machine id of a domain UUID (either spelling). */
export function machineIdFromUuid(uuid: string): string {
  return uuid.replace(/-/g, '').toLowerCase();
}
