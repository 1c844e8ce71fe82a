import { createServer as createHttpServer, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Express } from 'express';
import type { Logger } from '../core/log.js';

export interface ListenOptions {
  host: string;
  port: number;
  tls?: { keyPath: string; certPath: string };
}

export interface RunningServer {
  server: Server;
  /** The address actually bound (useful with port 0). */
  address: { host: string; port: number };
  /** Stops accepting, lets requests in flight finish (up to graceMs), then closes the rest. */
  close(graceMs?: number): Promise<void>;
}

export async function listen(app: Express, options: ListenOptions): Promise<RunningServer> {
  const server: Server = options.tls
    ? createHttpsServer({ key: readFileSync(options.tls.keyPath), cert: readFileSync(options.tls.certPath) }, app)
    : createHttpServer(app);
  server.keepAliveTimeout = 65_000;
  const eventStreams = trackEventStreams(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host || undefined, () => {
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

/** Closes the server on SIGTERM/SIGINT, then runs `onClosed`. A second signal exits at once. */
export function closeOnSignals(running: RunningServer, logger: Logger, onClosed: () => Promise<void> | void): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
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
