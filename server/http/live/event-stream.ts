/**
 * GET /events/: a server-sent event stream of the service's PanelEvents for a logged-in page. Sends
 * the current provider states first, then updates as they happen, and a comment every heartbeat so
 * proxies keep the connection open and dead peers are noticed. EventSource reconnects by itself.
 */
import type { RequestHandler, Response } from 'express';
import type { ProviderAvailability } from '../../core/provider.js';
import type { MachineService, PanelEvent } from '../../core/services.js';
import { machineSummary, type MachineSummary } from '../pages/machine-view.js';

export const DEFAULT_HEARTBEAT_MS = 15_000;
const RETRY_MS = 3_000;

export interface StreamLimits {
  heartbeatMs: number;
  /** Streams one session may have open at once (tabs); more are refused with 429. */
  perSession: number;
  /** Streams open at once across the panel. */
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

/** What a page receives, by SSE event name (static/js/live.js reads these). */
export type LiveUpdate =
  | { type: 'machine'; data: MachineSummary }
  | { type: 'machine-removed'; data: { provider: string; id: string; name: string } }
  | { type: 'provider'; data: { name: string; state: ProviderAvailability['state']; error?: string; since: string } };

function providerData(provider: ProviderAvailability): Extract<LiveUpdate, { type: 'provider' }>['data'] {
  return {
    name: provider.name,
    state: provider.state,
    ...(provider.error ? { error: provider.error } : {}),
    since: provider.since.toISOString(),
  };
}

export function liveUpdateOf(event: PanelEvent): LiveUpdate {
  switch (event.type) {
    case 'provider':
      return { type: 'provider', data: providerData(event.provider) };
    case 'machine':
      return { type: 'machine', data: machineSummary(event.machine) };
    case 'machine-removed':
      return { type: 'machine-removed', data: { provider: event.provider, id: event.id, name: event.name } };
  }
}

export function formatEvent(update: LiveUpdate): string {
  return `event: ${update.type}\ndata: ${JSON.stringify(update.data)}\n\n`;
}

/**
 * `sessionOf` names the stream's owner (its session id) for the per-session limit. The stream
 * ends when the client goes away, or when it stops reading and `maxBufferedBytes` pile up.
 */
export function eventStream(
  serviceOf: (res: Response) => Pick<MachineService, 'providerStates' | 'subscribe'>,
  sessionOf: (res: Response) => string,
  limits: Partial<StreamLimits> = {},
): RequestHandler {
  const { heartbeatMs, perSession, total, maxBufferedBytes } = { ...DEFAULT_STREAM_LIMITS, ...limits };
  const open = new Map<string, number>();
  let openTotal = 0;
  return (req, res) => {
    const owner = sessionOf(res);
    const mine = open.get(owner) ?? 0;
    if (mine >= perSession || openTotal >= total) {
      const why =
        mine >= perSession
          ? `this session has ${mine} live-event streams open already (at most ${perSession})`
          : 'too many live-event streams are open';
      res
        .status(429)
        .set({ 'Retry-After': '10', 'Cache-Control': 'no-store' })
        .type('text/plain; charset=utf-8')
        .send(`429 ${why}\n`);
      return;
    }
    open.set(owner, mine + 1);
    openTotal++;
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
        // It stopped reading: drop it rather than keep its events (EventSource reconnects).
        res.destroy();
        return;
      }
      res.write(text);
    };
    send(`retry: ${RETRY_MS}\n\n`);
    // The user's view of the services: only events of what the user may list.
    const service = serviceOf(res);
    for (const provider of service.providerStates()) send(formatEvent({ type: 'provider', data: providerData(provider) }));
    const unsubscribe = service.subscribe((event) => send(formatEvent(liveUpdateOf(event))));
    const heartbeat = setInterval(() => send(': heartbeat\n\n'), heartbeatMs);
    heartbeat.unref();
    const close = (): void => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      unsubscribe();
      const left = (open.get(owner) ?? 1) - 1;
      if (left > 0) open.set(owner, left);
      else open.delete(owner);
      openTotal--;
    };
    res.on('close', close);
    res.on('error', close);
  };
}
