import { afterEach } from 'vitest';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import type { Router } from 'express';
import { createApp } from '../../../server/http/app.js';
import { listen, type RunningServer } from '../../../server/http/server.js';

import { capturedLogger } from '../../helpers/loggers.js';

export { capturedLogger };

const running: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close(100)));
});

/** The real app with `routers`, listening on a free loopback port; closed after the test. */
export async function startApp(routers: Router[], logger = capturedLogger().logger): Promise<string> {
  const { base, server } = await startAppServer(routers, logger);
  running.push(server);
  return base;
}

/** As startApp, closed by the caller (for servers shared by a file's tests). */
export async function startAppServer(routers: Router[], logger = capturedLogger().logger) {
  const app = createApp({ logger, trustedProxies: [], staticCacheSeconds: 0, routers });
  const server = await listen(app, { host: '127.0.0.1', port: 0 });
  return { base: `http://127.0.0.1:${server.address.port}`, server, close: () => server.close(100) };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with exactly these header bytes (fetch refuses non-ASCII header values). */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: OutgoingHttpHeaders; body?: Buffer | string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
