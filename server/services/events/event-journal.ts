/**
 * The panel's event journal: subscribed to the machine service for the panel's whole life, it names
 * each change (machine.created, machine.state, … by comparing with what it last knew of the
 * machine), gives it the next id, keeps the last `windowSize` events for streams that resume, and
 * hands each new event to its followers (the event streams, the webhooks).
 *
 * Ids are "<run>-<sequence>": the run is random per start, so an id of an earlier run (the panel
 * restarted) or one older than the window is answered with a reset ("reload your state") instead of
 * silently missing events.
 */
import { randomBytes } from 'node:crypto';
import type { EventFeed, EventName, FollowResult, JournalEvent, Resumption } from '../../core/events.js';
import { parseEventId } from '../../core/events.js';
import type { Logger } from '../../core/log.js';
import type { Machine } from '../../core/machine.js';
import type { ProviderAvailability } from '../../core/provider.js';
import type { MachineService, PanelEvent } from '../../core/services.js';

/** Events kept for resuming streams: about 2 KiB each (a machine), so about 2 MiB. */
export const DEFAULT_REPLAY_WINDOW = 1000;

export type JournalListener = (event: JournalEvent) => void;

export interface EventJournalOptions {
  windowSize?: number;
  clock?: () => Date;
  /** The run part of the ids (tests); default: random. */
  run?: string;
}

const keyOf = (provider: string, id: string): string => `${provider}\u0000${id}`;

/** The parts of a machine an event is about: two readings alike here are one state, not a change. */
function sameMachine(a: Machine, b: Machine): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

export class EventJournal implements EventFeed {
  readonly run: string;
  readonly windowSize: number;
  private readonly window: JournalEvent[] = [];
  private seq = 0;
  private readonly followers = new Set<JournalListener>();
  private readonly known = new Map<string, Machine>();
  private readonly providerStates = new Map<string, string>();
  private readonly unsubscribe: () => void;
  private readonly clock: () => Date;

  constructor(
    private readonly machines: Pick<MachineService, 'subscribe' | 'listMachines' | 'providerStates'>,
    private readonly logger: Logger,
    options: EventJournalOptions = {},
  ) {
    this.run = options.run ?? randomBytes(4).toString('hex');
    this.windowSize = Math.max(1, options.windowSize ?? DEFAULT_REPLAY_WINDOW);
    this.clock = options.clock ?? (() => new Date());
    for (const state of machines.providerStates()) this.providerStates.set(state.name, stateText(state));
    this.unsubscribe = machines.subscribe((event) => this.take(event));
    for (const state of machines.providerStates()) if (state.state === 'connected') void this.learn(state.name);
  }

  get lastId(): string {
    return `${this.run}-${this.seq}`;
  }

  get followerCount(): number {
    return this.followers.size;
  }

  /** The window, oldest first (a copy). */
  events(): JournalEvent[] {
    return [...this.window];
  }

  follow(lastEventId: string | undefined, listener: JournalListener): FollowResult {
    const { resumption, replay } = this.resume(lastEventId);
    this.followers.add(listener);
    return { resumption, replay, lastId: this.lastId, unsubscribe: () => this.followers.delete(listener) };
  }

  close(): void {
    this.unsubscribe();
    this.followers.clear();
  }

  private resume(lastEventId: string | undefined): { resumption: Resumption; replay: JournalEvent[] } {
    if (lastEventId === undefined) return { resumption: { kind: 'fresh' }, replay: [] };
    const id = parseEventId(lastEventId);
    if (!id || id.run !== this.run)
      return { resumption: { kind: 'reset', reason: 'the id is from another run of the panel (it restarted)' }, replay: [] };
    if (id.seq > this.seq) return { resumption: { kind: 'reset', reason: 'the id is newer than any event sent' }, replay: [] };
    const oldest = this.window[0]?.seq ?? this.seq + 1;
    if (id.seq < oldest - 1)
      return {
        resumption: { kind: 'reset', reason: `the events after it are no longer kept (the last ${this.windowSize} are)` },
        replay: [],
      };
    return { resumption: { kind: 'resumed' }, replay: this.window.slice(id.seq - oldest + 1) };
  }

  /** Knows a connected provider's machines without announcing them (they are not new). */
  private async learn(provider: string): Promise<void> {
    try {
      const { machines } = await this.machines.listMachines({ provider });
      for (const machine of machines.get(provider)?.machines ?? []) {
        const key = keyOf(provider, machine.id);
        if (!this.known.has(key)) this.known.set(key, machine);
      }
    } catch (err) {
      this.logger.debug({ err, provider }, 'event journal: could not list the machines');
    }
  }

  private take(event: PanelEvent): void {
    switch (event.type) {
      case 'provider': {
        const text = stateText(event.provider);
        if (this.providerStates.get(event.provider.name) === text) return;
        this.providerStates.set(event.provider.name, text);
        this.append('provider.state', event);
        if (event.provider.state === 'connected') void this.learn(event.provider.name);
        return;
      }
      case 'machine': {
        const key = keyOf(event.machine.provider, event.machine.id);
        const before = this.known.get(key);
        this.known.set(key, event.machine);
        if (!before) this.append('machine.created', event);
        else if (before.state !== event.machine.state) this.append('machine.state', event, before.state);
        else if (!sameMachine(before, event.machine)) this.append('machine.changed', event);
        return;
      }
      case 'machine-removed': {
        const key = keyOf(event.provider, event.id);
        const before = this.known.get(key);
        this.known.delete(key);
        // What the journal knew of it decides who may hear of its removal.
        this.append('machine.deleted', before && !event.last ? { ...event, last: before } : event);
        return;
      }
    }
  }

  private append(name: EventName, event: PanelEvent, previousState?: Machine['state']): void {
    this.seq++;
    const entry: JournalEvent = Object.freeze({
      id: `${this.run}-${this.seq}`,
      seq: this.seq,
      name,
      time: this.clock().toISOString(),
      event,
      ...(previousState !== undefined ? { previousState } : {}),
    });
    this.window.push(entry);
    if (this.window.length > this.windowSize) this.window.splice(0, this.window.length - this.windowSize);
    for (const follower of [...this.followers]) {
      try {
        follower(entry);
      } catch (err) {
        this.logger.warn({ err, event: entry.id }, 'event journal: a follower failed');
      }
    }
  }
}

function stateText(provider: ProviderAvailability): string {
  return `${provider.state}\u0000${provider.error ?? ''}`;
}
