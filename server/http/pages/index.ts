/**
 * The browser dashboard: server-rendered pages over the machine service (the same service the
 * API uses), a signed-cookie session, CSRF tokens on every form, and live updates over SSE.
 * Mount after the API router: /api/ paths are left alone.
 */
import { Router, type RequestHandler } from 'express';
import type { Config } from '../../config/index.js';
import type { Logger } from '../../core/log.js';
import type { AccessControl } from '../../core/services.js';
import { attachServices, servicesOf } from '../scoped-services.js';
import type { LoginGuard } from '../../services/auth/login-guard.js';
import { readBody } from '../body.js';
import { clientAddressResolver } from '../client-address.js';
import type { EventStreams, StreamLimits } from '../live/event-stream.js';
import { dashboardFormat } from '../live/dashboard-events.js';
import type { EndedSessions } from '../../services/auth/ended-sessions.js';
import { identifyUser, requireLogin, sessionId, sessionUser, type SessionPolicy } from '../session/authentication.js';
import { sessionMiddleware } from '../session/cookie-session.js';
import { csrfProtection } from '../session/csrf.js';
import { apiDocsRoutes } from './api-docs-routes.js';
import { catalogRoutes } from './catalog-routes.js';
import { activityRoutes } from './activity-routes.js';
import type { AuditSink } from '../../core/audit.js';
import { consoleRoutes } from './console-routes.js';
import { createRoutes } from './create-routes.js';
import { loginRoutes } from './login-routes.js';
import { machineRoutes } from './machine-routes.js';
import { pageErrorHandler, pageNotFound } from './page-errors.js';
import { createViewRenderer } from './views.js';

export interface PagesOptions {
  /** The event streams' heartbeat and limits (DEFAULT_STREAM_LIMITS), for /events/ and /api/events/ alike. */
  stream?: Partial<StreamLimits>;
}

export interface PagesRouterDeps {
  access: AccessControl;
  config: Config;
  guard: LoginGuard;
  /** Sessions ended before they expired (logouts), shared with the other replicas. */
  ended: EndedSessions;
  logger: Logger;
  /** /events/: the panel's event streams (shared with /api/events/). */
  streams: EventStreams;
  /** Where logins, failed logins and logouts are recorded. */
  audit?: AuditSink;
  /** Tuning for tests; the defaults suit production. */
  options?: PagesOptions;
}

export function createPagesRouter({ access, config, guard, ended, logger, streams, audit }: PagesRouterDeps): Router {
  const render = createViewRenderer();
  const clientAddress = clientAddressResolver(config.trustedProxies);
  const policy: SessionPolicy = { config, ended };

  const router = Router({ strict: true, caseSensitive: true });
  const pages = Router({ strict: true, caseSensitive: true });
  // Everything but the API (its own auth, 401 JSON) goes through the pages' session and CSRF check.
  router.use((req, res, next) => (isApiPath(req.path) ? next('router') : pages(req, res, next)));

  const readForm: RequestHandler = (req, res, next) =>
    req.method === 'GET' || req.method === 'HEAD' ? next() : readBody({ limitBytes: 256 * 1024 })(req, res, next);
  pages.use(sessionMiddleware(config));
  pages.use(identifyUser(policy));
  pages.use(attachServices(access, clientAddress));
  pages.use(readForm);
  pages.use(csrfProtection);

  pages.use(loginRoutes({ render, guard, policy, clientAddress, logger, audit }));
  // EventSource cannot follow a redirect to a login page usefully: a plain 401 instead.
  pages.get(
    '/events/',
    (_req, res, next) => (sessionUser(res) !== undefined ? next() : res.status(401).end()),
    streams.handler({
      feedOf: (res) => servicesOf(res).events,
      ownerOf: (res) => `session\u0000${sessionId(res) ?? ''}`,
      format: dashboardFormat((res) => servicesOf(res).machines),
    }),
  );
  pages.use(requireLogin);
  pages.use(catalogRoutes({ render, config }));
  pages.use(apiDocsRoutes({ render }));
  pages.use(activityRoutes({ render, config }));
  pages.use(createRoutes({ render, config }));
  // Before the machine routes: /machines/P/ID/console/ is not a power action.
  pages.use(consoleRoutes({ render, logger }));
  pages.use(machineRoutes({ render, config }));
  pages.use(pageNotFound(render));
  pages.use(pageErrorHandler(render, logger));
  return router;
}

function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/') || path === '/healthz' || path.startsWith('/static/');
}
