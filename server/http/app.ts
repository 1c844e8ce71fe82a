import express, { type Express, type Request, type Router } from 'express';
import helmet from 'helmet';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../core/log.js';
import { VERSION } from '../core/version.js';
import { clientAddressResolver, trustedProxyCheck } from './client-address.js';
import { hostCheck } from './host-check.js';
import { requestLog } from './request-log.js';
import { staticFiles } from './static-files.js';
import { vendorAssets } from './vendor-assets.js';
import { errorHandler, notFoundHandler } from './errors.js';

export const STATIC_DIR = fileURLToPath(new URL('../../static/', import.meta.url));

export interface AppOptions {
  logger: Logger;
  trustedProxies: readonly string[];
  staticCacheSeconds: number;
  /** Routers of the layers above (API, pages), mounted in order after the basics. */
  routers?: Router[];
  /**
   * /healthz: whether the panel can serve, and the facts to show a caller `health` decides may see
   * them (one with API credentials). Without it, /healthz answers ok.
   */
  health?: (req: Request) => Promise<{ ok: boolean; details?: Record<string, unknown> }>;
  /** Host names and addresses the panel answers to (host-check.ts). */
  allowedHosts?: ReadonlySet<string> | 'any';
  /** Send Strict-Transport-Security (the panel itself serves HTTPS). */
  hsts?: boolean;
}

export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // Only for req.secure (X-Forwarded-Proto from a TLS proxy: Secure cookies); addresses are client-address.ts's.
  app.set('trust proxy', trustedProxyCheck(options.trustedProxies));
  const clientAddress = clientAddressResolver(options.trustedProxies);
  app.use(requestLog(options.logger, clientAddress));
  app.use(hostCheck(options.allowedHosts ?? 'any'));
  app.use(
    helmet({
      contentSecurityPolicy: { directives: { 'img-src': ["'self'", 'data:'], 'upgrade-insecure-requests': null } },
      strictTransportSecurity: options.hsts ? { maxAge: 180 * 86_400 } : false,
    }),
  );
  app.get('/healthz', async (req, res) => {
    const health = options.health ? await options.health(req) : { ok: true };
    res
      .status(health.ok ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json({ status: health.ok ? 'ok' : 'not ok', ...(health.details ? { version: VERSION, ...health.details } : {}) });
  });
  app.use('/static/vendor', vendorAssets());
  app.use('/static', staticFiles(STATIC_DIR, options.staticCacheSeconds));
  for (const router of options.routers ?? []) app.use(router);
  app.use(notFoundHandler);
  app.use(errorHandler(options.logger));
  return app;
}
