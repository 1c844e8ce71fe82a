/**
 * An event as GET /api/events/ sends it and webhooks post it (README "Events"): the event's name
 * and id, and the machine in the JSON of GET /api/machines/{provider}/{id}/ (no userdata).
 */
import type { JournalEvent } from '../../core/events.js';
import type { ProviderState } from '../../core/provider.js';
import type { StreamFormat } from '../live/event-stream.js';
import { machineToJson, type VmJson } from './machine-json.js';

export interface EventJson {
  id: string;
  event: JournalEvent['name'];
  time: string;
  provider: string;
  /** machine.*: the machine (machine.deleted: as last known, or its id and name only). */
  machine?: VmJson | { Id: string; Name: string };
  /** machine.state: the state before. */
  previous_state?: string;
  /** provider.state: the hypervisor's connection. */
  state?: ProviderState;
  error?: string;
  since?: string;
}

export function eventJson(entry: JournalEvent): EventJson {
  const head = { id: entry.id, event: entry.name, time: entry.time };
  const { event } = entry;
  switch (event.type) {
    case 'provider':
      return {
        ...head,
        provider: event.provider.name,
        state: event.provider.state,
        ...(event.provider.error ? { error: event.provider.error } : {}),
        since: event.provider.since.toISOString(),
      };
    case 'machine':
      return {
        ...head,
        provider: event.machine.provider,
        machine: machineToJson(event.machine),
        ...(entry.previousState !== undefined ? { previous_state: entry.previousState } : {}),
      };
    case 'machine-removed':
      return {
        ...head,
        provider: event.provider,
        machine: event.last ? machineToJson(event.last) : { Id: event.id, Name: event.name },
      };
  }
}

export const apiEventFormat: StreamFormat = {
  event: (entry) => ({ name: entry.name, data: JSON.stringify(eventJson(entry)) }),
};
