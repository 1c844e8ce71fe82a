/**
 * GET /events/: a server-sent event stream of LiveEvents for a logged-in page. Sends the current
 * provider states first, then updates as they happen, and a comment every heartbeat so proxies
 * keep the connection open and dead peers are noticed. EventSource reconnects by itself.
 */
import type { RequestHandler } from 'express';
import type { ConnectionManager, ManagedConnection } from '../../hypervisors/connection-manager.js';
import type { LiveEvents, LiveUpdate } from '../../services/events/machine-events.js';

export const DEFAULT_HEARTBEAT_MS = 15_000;
const RETRY_MS = 3_000;

export function formatEvent(update: LiveUpdate): string {
  return `event: ${update.type}\ndata: ${JSON.stringify(update.data)}\n\n`;
}

export function eventStream(
  live: LiveEvents,
  hypervisors: ConnectionManager<ManagedConnection>,
  heartbeatMs = DEFAULT_HEARTBEAT_MS,
): RequestHandler {
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
    for (const status of hypervisors.statuses()) {
      res.write(formatEvent({
        type: 'provider',
        data: { name: status.name, state: status.state, ...(status.error ? { error: status.error } : {}), since: status.since.toISOString() },
      }));
    }
    const unsubscribe = live.subscribe((update) => res.write(formatEvent(update)));
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
