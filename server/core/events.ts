/**
 * The panel's event journal as the layers above the services see it: the one list of event names
 * (shared by the event streams and webhooks), an event as journaled (with its id), and the feed a
 * stream follows, resuming after an id it was given.
 */
import type { Machine, MachineState } from './machine.js';
import type { ProviderAvailability } from './provider.js';

/** What the live event stream carries. */
export type PanelEvent =
  | { type: 'provider'; provider: ProviderAvailability }
  | { type: 'machine'; machine: Machine }
  | {
      type: 'machine-removed';
      provider: string;
      id: string;
      name: string;
      /** The machine as last listed, when the list still had it (who may hear of its removal). */
      last?: Machine;
    };

export type PanelEventListener = (event: PanelEvent) => void;

export const EVENT_NAMES = [
  'machine.created', // a machine the journal did not know of appeared (created, cloned, defined elsewhere)
  'machine.state', // a known machine's state changed (running, stopped, paused, …)
  'machine.changed', // anything else about a known machine changed (tags, size, address, …)
  'machine.deleted',
  'provider.state', // a hypervisor's connection state changed (connected, connecting, unavailable)
] as const;
export type EventName = (typeof EVENT_NAMES)[number];

export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && (EVENT_NAMES as readonly string[]).includes(value);
}

export interface JournalEvent {
  /** "<run>-<sequence>": the run is new each time the panel starts, the sequence counts up from 1. */
  id: string;
  seq: number;
  name: EventName;
  /** ISO 8601, UTC. */
  time: string;
  event: PanelEvent;
  /** machine.state: the state the journal knew before. */
  previousState?: MachineState;
}

/** What a stream resuming from an id is told first. */
export type Resumption =
  | { kind: 'fresh' }
  | { kind: 'resumed' }
  /** The events after the id are not all in the window any more (or the id is of another run): reload your state. */
  | { kind: 'reset'; reason: string };

export interface FollowResult {
  resumption: Resumption;
  /** The window's events after the id, oldest first, as the follower may see them. */
  replay: JournalEvent[];
  /** The id of the newest event now (a fresh stream starts from it). */
  lastId: string;
  unsubscribe(): void;
}

export interface EventFeed {
  /**
   * Replays what came after `lastEventId` (none: nothing) and then calls `listener` for each new
   * event, synchronously as it is journaled: no event is missed or given twice between the two.
   */
  follow(lastEventId: string | undefined, listener: (event: JournalEvent) => void): FollowResult;
}

/** An event id as the journal makes them; undefined for anything else. */
export function parseEventId(text: string): { run: string; seq: number } | undefined {
  const match = /^([0-9a-f]{8})-(0|[1-9][0-9]{0,14})$/.exec(text);
  return match ? { run: match[1]!, seq: Number(match[2]) } : undefined;
}

export const EVENT_ID_RULE = 'an event id this panel sent, such as "1a2b3c4d-42"';
