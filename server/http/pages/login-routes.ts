/** /login/ and /logout/ (POST only: a link or an image cannot log anyone out). */
import { Router, type Request, type Response } from 'express';
import type { AuditEntry, AuditSink } from '../../core/audit.js';
import type { Logger } from '../../core/log.js';
import type { LoginGuard } from '../../services/auth/login-guard.js';
import { logIn, logOut, sessionUser, type SessionPolicy } from '../session/authentication.js';
import { formField } from '../session/csrf.js';
import { safeNextPath } from '../session/safe-next.js';
import { sendErrorPage } from './page-errors.js';
import { sendPage } from './render.js';
import type { ViewRenderer } from './views.js';

export interface LoginRouteDeps {
  render: ViewRenderer;
  guard: LoginGuard;
  policy: SessionPolicy;
  clientAddress: (req: Request) => string;
  logger: Logger;
  audit?: AuditSink;
}

export function loginRoutes({ render, guard, policy, clientAddress, logger, audit }: LoginRouteDeps): Router {
  const router = Router({ strict: true, caseSensitive: true });
  const record = (req: Request, entry: Omit<AuditEntry, 'time' | 'address' | 'durationMs'>): void =>
    audit?.record({ time: new Date().toISOString(), address: clientAddress(req), durationMs: 0, ...entry });

  router.get('/login/', (req, res) => {
    const next = safeNextPath(req.query.next);
    if (sessionUser(res) !== undefined) {
      res.redirect(302, next);
      return;
    }
    sendPage(render, req, res, 'login', { title: 'Log in', next, username: '' });
  });

  router.post('/login/', async (req, res) => {
    const username = formField(req.body, 'Username') ?? '';
    const password = formField(req.body, 'Password') ?? '';
    const next = safeNextPath(formField(req.body, 'next') ?? req.query.next);
    const result = await guard.attempt({ user: username, password, address: clientAddress(req) });
    if (!result.ok && (result.reason === 'locked out' || result.reason === 'busy')) {
      tooManyLogins(render, req, res, result.retryAfterSeconds, result.reason === 'busy');
      return;
    }
    if (!result.ok) {
      logger.warn({ user: username.slice(0, 100), reason: result.reason, remote: clientAddress(req) }, 'authentication failed');
      // Not for a locked-out caller (answered above): the login limiter bounds how many of these there are.
      record(req, {
        action: 'login.failed',
        outcome: 'refused',
        ...(username === '' ? {} : { user: username.slice(0, 100) }),
        error: 'Wrong user name or password.',
        detail: { via: 'page', reason: result.reason },
      });
      sendPage(
        render,
        req,
        res,
        'login',
        {
          title: 'Log in',
          next,
          username,
          error: 'Wrong user name or password.',
        },
        400,
      );
      return;
    }
    logIn(req, result.user, policy);
    logger.info({ user: result.user, remote: clientAddress(req) }, 'logged in');
    record(req, { action: 'login', outcome: 'ok', user: result.user, detail: { via: 'page' } });
    res.redirect(303, next);
  });

  router.get('/logout/', (req, res) => {
    if (sessionUser(res) === undefined) {
      res.redirect(302, '/login/');
      return;
    }
    sendPage(render, req, res, 'logout', { title: 'Log out' });
  });

  router.post('/logout/', (req, res) => {
    const user = sessionUser(res);
    logOut(req, policy);
    if (user !== undefined) record(req, { action: 'logout', outcome: 'ok', user });
    res.redirect(303, '/login/');
  });

  return router;
}

/** The page shown while login attempts are locked out. */
function tooManyLogins(render: ViewRenderer, req: Request, res: Response, retryAfterSeconds: number, busy: boolean): void {
  res.set('Retry-After', String(retryAfterSeconds));
  const message = busy
    ? 'Too many logins are being checked right now. Try again in a moment.'
    : `Too many failed login attempts. Try again in ${Math.ceil(retryAfterSeconds / 60)} min.`;
  sendErrorPage(render, req, res, 429, message);
}
