import express, { type Express, type Router } from 'express';
import helmet from 'helmet';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../core/log.js';
import { VERSION } from '../core/version.js';
import { clientAddressResolver } from './client-address.js';
import { requestLog } from './request-log.js';
import { staticFiles } from './static-files.js';
import { errorHandler, notFoundHandler } from './errors.js';

export const STATIC_DIR = fileURLToPath(new URL('../../static/', import.meta.url));

export interface AppOptions {
  logger: Logger;
  trustedProxies: readonly string[];
  staticCacheSeconds: number;
  /** Routers of the layers above (API, pages), mounted in order after the basics. */
  routers?: Router[];
  /** Extra facts for /healthz (e.g. provider states); must be cheap. */
  health?: () => Record<string, unknown>;
}

export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  const clientAddress = clientAddressResolver(options.trustedProxies);
  app.use(requestLog(options.logger, clientAddress));
  app.use(
    helmet({
      contentSecurityPolicy: { directives: { 'img-src': ["'self'", 'data:'], 'upgrade-insecure-requests': null } },
      strictTransportSecurity: false,
    }),
  );
  app.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok', version: VERSION, ...(options.health?.() ?? {}) });
  });
  app.use('/static', staticFiles(STATIC_DIR, options.staticCacheSeconds));
  for (const router of options.routers ?? []) app.use(router);
  app.use(notFoundHandler);
  app.use(errorHandler(options.logger));
  return app;
}
