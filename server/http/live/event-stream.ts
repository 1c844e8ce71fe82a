/**
 * The panel's event streams (server-sent events) over the event journal: GET /events/ for the
 * dashboard (cookie session) and GET /api/events/ for scripts (API credentials) are this one
 * implementation with the same ids and replay; only what each event looks like differs.
 *
 * A stream starts with `retry:`, then: a `reset` event when the Last-Event-ID it resumes from can
 * not be honoured (another run of the panel, older than the replay window), the replayed events
 * the principal may hear of, and the live ones, each with its `id:`; a comment every heartbeat so
 * proxies keep it open and dead peers are noticed. Streams are counted per owner (a session, an API
 * user) and in total (429 past either), and a client that stops reading is dropped once its
 * backlog passes the bound (EventSource reconnects, and resumes).
 */
import type { Request, RequestHandler, Response } from 'express';
import { EVENT_ID_RULE, parseEventId, type EventFeed, type JournalEvent } from '../../core/events.js';
import { HttpError } from '../http-error.js';

export const DEFAULT_HEARTBEAT_MS = 15_000;
const RETRY_MS = 3_000;

export interface StreamLimits {
  heartbeatMs: number;
  /** Streams one owner (a session, an API user) may have open at once; more are refused with 429. */
  perSession: number;
  /** Streams open at once across the panel (dashboard and API together). */
  total: number;
  /** A client that stops reading is dropped once this much is waiting for it. */
  maxBufferedBytes: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  heartbeatMs: DEFAULT_HEARTBEAT_MS,
  perSession: 8,
  total: 256,
  maxBufferedBytes: 256 * 1024,
};

/** How one kind of stream shows events. */
export interface StreamFormat {
  /** Sent after the resumption and the replay, before live events (the dashboard: provider states). */
  opening?(res: Response): string[];
  /** An event's SSE name and data (one line of JSON); undefined: not sent on this stream. */
  event(entry: JournalEvent): { name: string; data: string } | undefined;
}

export interface StreamMount {
  feedOf(res: Response): EventFeed;
  /** Whose streams count together against `perSession`. */
  ownerOf(res: Response): string;
  format: StreamFormat;
}

export function sseBlock(name: string, data: string, id?: string): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${name}\ndata: ${data}\n\n`;
}

/** Last-Event-ID (EventSource sends it on reconnecting, so it wins) or ?last_event_id=. */
export function lastEventIdOf(req: Request): string | undefined {
  const header = req.headers['last-event-id'];
  const query = req.query.last_event_id;
  const [field, value] =
    typeof header === 'string' && header !== ''
      ? ['Last-Event-ID', header]
      : typeof query === 'string' && query !== ''
        ? ['last_event_id', query]
        : query !== undefined && typeof query !== 'string'
          ? ['last_event_id', String(query)]
          : [undefined, undefined];
  if (field === undefined || value === undefined) return undefined;
  if (!parseEventId(value))
    throw new HttpError(400, `${field} ${JSON.stringify(value.slice(0, 60))} is not an event id: give ${EVENT_ID_RULE}, or none`);
  return value;
}

export class EventStreams {
  readonly limits: StreamLimits;
  private readonly open = new Map<string, number>();
  private openTotal = 0;

  constructor(limits: Partial<StreamLimits> = {}) {
    this.limits = { ...DEFAULT_STREAM_LIMITS, ...limits };
  }

  get openCount(): number {
    return this.openTotal;
  }

  handler({ feedOf, ownerOf, format }: StreamMount): RequestHandler {
    const { heartbeatMs, perSession, total, maxBufferedBytes } = this.limits;
    // One event is one object for every follower who sees it whole (a scoped one gets its own
    // copy): its text is made once, not once per stream.
    const blocks = new WeakMap<JournalEvent, string>();
    const blockOf = (entry: JournalEvent): string => {
      let block = blocks.get(entry);
      if (block === undefined) {
        const shown = format.event(entry);
        // An event this stream does not show still moves the client's position on.
        block = shown ? sseBlock(shown.name, shown.data, entry.id) : `id: ${entry.id}\n\n`;
        blocks.set(entry, block);
      }
      return block;
    };
    return (req, res, next) => {
      let lastEventId: string | undefined;
      try {
        lastEventId = lastEventIdOf(req);
      } catch (err) {
        next(err);
        return;
      }
      const owner = ownerOf(res);
      const mine = this.open.get(owner) ?? 0;
      if (mine >= perSession || this.openTotal >= total) {
        const why =
          mine >= perSession
            ? `you have ${mine} event streams open already (at most ${perSession})`
            : 'too many event streams are open';
        // The router's error handler answers: JSON on the API, the error page on the dashboard.
        next(new HttpError(429, why, { 'Retry-After': '10', 'Cache-Control': 'no-store' }));
        return;
      }
      this.open.set(owner, mine + 1);
      this.openTotal++;
      res.status(200).set({
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      res.flushHeaders();
      req.socket.setKeepAlive(true);
      req.socket.setNoDelay(true);
      let closed = false;
      const send = (text: string): void => {
        if (closed) return;
        if (res.writableLength > maxBufferedBytes) {
          // It stopped reading: drop it rather than keep its events (EventSource reconnects and resumes).
          res.destroy();
          return;
        }
        res.write(text);
      };
      const sendEvent = (entry: JournalEvent): void => send(blockOf(entry));
      // follow() replays and subscribes in one step, and events arrive only in later ticks: the
      // replay below is written before any live event.
      const followed = feedOf(res).follow(lastEventId, sendEvent);
      let text = `retry: ${RETRY_MS}\n\n`;
      if (followed.resumption.kind === 'reset')
        text += sseBlock(
          'reset',
          JSON.stringify({ event: 'reset', reason: followed.resumption.reason, last_event_id: followed.lastId }),
          followed.lastId,
        );
      else if (followed.resumption.kind === 'fresh') text += `id: ${followed.lastId}\n\n`;
      send(text);
      for (const entry of followed.replay) sendEvent(entry);
      for (const block of format.opening?.(res) ?? []) send(block);
      const heartbeat = setInterval(() => send(': heartbeat\n\n'), heartbeatMs);
      heartbeat.unref();
      const close = (): void => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        followed.unsubscribe();
        const left = (this.open.get(owner) ?? 1) - 1;
        if (left > 0) this.open.set(owner, left);
        else this.open.delete(owner);
        this.openTotal--;
      };
      res.on('close', close);
      res.on('error', close);
    };
  }
}
