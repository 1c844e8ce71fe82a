/**
 * The browser dashboard: server-rendered pages over the machine service (the same service the
 * API uses), a signed-cookie session, CSRF tokens on every form, and live updates over SSE.
 * Mount after the API router: /api/ paths are left alone.
 */
import { Router, type RequestHandler } from 'express';
import type { Config } from '../../config/index.js';
import type { Logger } from '../../core/log.js';
import type { MachineService } from '../../core/services.js';
import type { LoginGuard } from '../../services/auth/login-guard.js';
import { readBody } from '../body.js';
import { clientAddressResolver } from '../client-address.js';
import { eventStream, DEFAULT_HEARTBEAT_MS } from '../live/event-stream.js';
import { identifyUser, requireLogin, sessionUser } from '../session/authentication.js';
import { DEFAULT_IDLE_TIMEOUT_MS, sessionMiddleware } from '../session/cookie-session.js';
import { csrfProtection } from '../session/csrf.js';
import { catalogRoutes } from './catalog-routes.js';
import { createRoutes } from './create-routes.js';
import { loginRoutes } from './login-routes.js';
import { machineRoutes } from './machine-routes.js';
import { pageErrorHandler, pageNotFound } from './page-errors.js';
import { createViewRenderer } from './views.js';

export interface PagesOptions {
  idleTimeoutMs?: number;
  heartbeatMs?: number;
}

export interface PagesRouterDeps {
  service: MachineService;
  config: Config;
  guard: LoginGuard;
  logger: Logger;
  /** Tuning for tests; the defaults suit production. */
  options?: PagesOptions;
}

export function createPagesRouter({ service, config, guard, logger, options = {} }: PagesRouterDeps): Router {
  const render = createViewRenderer();
  const clientAddress = clientAddressResolver(config.trustedProxies);
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;

  const router = Router({ strict: true, caseSensitive: true });
  const pages = Router({ strict: true, caseSensitive: true });
  // Everything but the API (its own auth, 401 JSON) goes through the pages' session and CSRF check.
  router.use((req, res, next) => (isApiPath(req.path) ? next('router') : pages(req, res, next)));

  const readForm: RequestHandler = (req, res, next) =>
    req.method === 'GET' || req.method === 'HEAD' ? next() : readBody({ limitBytes: 256 * 1024 })(req, res, next);
  pages.use(sessionMiddleware(config, idleTimeoutMs));
  pages.use(identifyUser(config, idleTimeoutMs));
  pages.use(readForm);
  pages.use(csrfProtection);

  pages.use(loginRoutes({ render, guard, clientAddress, logger }));
  // EventSource cannot follow a redirect to a login page usefully: a plain 401 instead.
  pages.get(
    '/events/',
    (_req, res, next) => (sessionUser(res) !== undefined ? next() : res.status(401).end()),
    eventStream(service, options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS),
  );
  pages.use(requireLogin);
  pages.use(catalogRoutes({ render, service, config }));
  pages.use(createRoutes({ render, service, config }));
  pages.use(machineRoutes({ render, service, config }));
  pages.use(pageNotFound(render));
  pages.use(pageErrorHandler(render, logger));
  return router;
}

function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/') || path === '/healthz' || path.startsWith('/static/');
}
