/**
 * GET /events/: a server-sent event stream of the service's PanelEvents for a logged-in page. Sends
 * the current provider states first, then updates as they happen, and a comment every heartbeat so
 * proxies keep the connection open and dead peers are noticed. EventSource reconnects by itself.
 */
import type { RequestHandler } from 'express';
import type { ProviderAvailability } from '../../core/provider.js';
import type { MachineService, PanelEvent } from '../../core/services.js';
import { machineSummary, type MachineSummary } from '../pages/machine-view.js';

export const DEFAULT_HEARTBEAT_MS = 15_000;
const RETRY_MS = 3_000;

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

export function eventStream(service: MachineService, heartbeatMs = DEFAULT_HEARTBEAT_MS): RequestHandler {
  return (req, res) => {
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    req.socket.setKeepAlive(true);
    req.socket.setNoDelay(true);
    res.write(`retry: ${RETRY_MS}\n\n`);
    for (const provider of service.providerStates()) res.write(formatEvent({ type: 'provider', data: providerData(provider) }));
    const unsubscribe = service.subscribe((event) => res.write(formatEvent(liveUpdateOf(event))));
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
    heartbeat.unref();
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      unsubscribe();
    };
    res.on('close', close);
    res.on('error', close);
  };
}
