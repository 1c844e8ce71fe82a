/**
 * Who is logged in. A session counts only while its user still exists in the config and it was
 * used within the idle timeout; each use moves the expiry forward (at most once a minute, so the
 * cookie is not re-sent on every request).
 */
import type { Request, RequestHandler, Response } from 'express';
import type { Config } from '../../config/index.js';
import { minutesNow, sessionOf } from './cookie-session.js';
import { loginUrlFor } from './safe-next.js';

export function sessionUser(res: Response): string | undefined {
  return res.locals.user as string | undefined;
}

/** Sets `res.locals.user` from a valid session; ends invalid ones. */
export function identifyUser(config: Pick<Config, 'users'>, idleTimeoutMs: number): RequestHandler {
  const idleMinutes = Math.ceil(idleTimeoutMs / 60_000);
  return (req, res, next) => {
    const session = sessionOf(req);
    const user = session.user;
    if (user === undefined) return next();
    const now = minutesNow();
    const known = config.users.some((candidate) => candidate.name === user);
    const fresh = typeof session.seen === 'number' && now - session.seen <= idleMinutes;
    if (!known || !fresh) {
      req.session = null;
      return next();
    }
    if (session.seen !== now) session.seen = now;
    res.locals.user = user;
    next();
  };
}

export function logIn(req: Request, user: string): void {
  // A new session: nothing from the anonymous one (its CSRF token included) carries over.
  req.session = { user, seen: minutesNow() };
}

export function logOut(req: Request): void {
  req.session = null;
}

/** Pages for logged-in users only; others are sent to the login page and brought back after. */
export const requireLogin: RequestHandler = (req, res, next) => {
  if (sessionUser(res) !== undefined) return next();
  if (req.method === 'GET' || req.method === 'HEAD') {
    res.redirect(302, loginUrlFor(req.originalUrl));
    return;
  }
  res.redirect(303, '/login/');
};
