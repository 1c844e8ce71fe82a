import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Express } from 'express';
import type { Logger } from '../core/log.js';

export interface ServerLimits {
  /** The whole request (headers and body) must arrive within this; a trickling client is cut off (408). */
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Connections beyond this are refused at once. */
  maxConnections: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1024,
};

export interface ListenOptions {
  host: string;
  port: number;
  tls?: { keyPath: string; certPath: string };
  limits?: Partial<ServerLimits>;
  /** WebSocket upgrades (the consoles); without it they are refused. */
  onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

export interface RunningServer {
  server: Server;
  /** The address actually bound (useful with port 0). */
  address: { host: string; port: number };
  /** Stops accepting, lets requests in flight finish (up to graceMs), then closes the rest. */
  close(graceMs?: number): Promise<void>;
}

export async function listen(app: Express, options: ListenOptions): Promise<RunningServer> {
  const limits = { ...DEFAULT_SERVER_LIMITS, ...options.limits };
  const timeouts = {
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // How often Node looks for requests past their timeouts (its default, 30 s, would double them).
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, limits.requestTimeoutMs / 4)),
  };
  const server: Server = options.tls
    ? createHttpsServer({ key: readFileSync(options.tls.keyPath), cert: readFileSync(options.tls.certPath), ...timeouts }, app)
    : createHttpServer(timeouts, app);
  server.maxConnections = limits.maxConnections;
  if (options.onUpgrade) server.on('upgrade', options.onUpgrade);
  const eventStreams = trackEventStreams(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A burst of connections (a flood, a crowd of reconnecting pages) waits in the kernel, not refused.
    server.listen({ port: options.port, host: options.host || undefined, backlog: 2048 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const address =
    typeof bound === 'object' && bound ? { host: bound.address, port: bound.port } : { host: options.host, port: options.port };
  return {
    server,
    address,
    close: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        // Keep-alive sockets become idle only when their last response ends: sweep until all are gone.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        force.unref();
        sweep.unref();
        server.close(() => {
          clearTimeout(force);
          clearInterval(sweep);
          resolve();
        });
        server.closeIdleConnections();
        // Server-sent event streams never finish by themselves: end them so pages reconnect elsewhere.
        eventStreams.end();
      }),
  };
}

/**
 * Closes the server on SIGTERM/SIGINT, then runs `onClosed`. `onStopping` runs first (ends what
 * never finishes by itself, e.g. console WebSockets). A second signal exits at once.
 */
export function closeOnSignals(
  running: RunningServer,
  logger: Logger,
  onClosed: () => Promise<void> | void,
  onStopping?: () => void,
): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    onStopping?.();
    void running.close().then(onClosed);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** The responses in flight; at shutdown those streaming `text/event-stream` are ended. */
function trackEventStreams(server: Server): { end(): void } {
  const inFlight = new Set<ServerResponse>();
  server.on('request', (_req, res: ServerResponse) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  return {
    end: () => {
      for (const res of inFlight) {
        if (String(res.getHeader('content-type') ?? '').startsWith('text/event-stream')) res.end();
      }
    },
  };
}
