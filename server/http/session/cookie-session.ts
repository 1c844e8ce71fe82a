/**
 * The browser session: a cookie signed (HMAC, keygrip) with the config's session_secret, holding
 * the user name, when the session was last used, and the CSRF token. Not encrypted; it holds no
 * secret the user may not see.
 */
import cookieSession from 'cookie-session';
import type { Request, RequestHandler } from 'express';
import type { Config } from '../../config/index.js';

/** 0.6's cookie name: an old 0.6 cookie fails the signature check and is simply ignored. */
export const SESSION_COOKIE = 'vmango';
export const DEFAULT_IDLE_TIMEOUT_MS = 7 * 24 * 60 * 60 * 1000;

export interface SessionData {
  user?: string;
  /** Minutes since the epoch of the last authenticated request (sliding expiry). */
  seen?: number;
  csrf?: string;
}

export function sessionMiddleware(
  config: Pick<Config, 'sessionSecret' | 'tls'>,
  idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS,
): RequestHandler {
  return cookieSession({
    name: SESSION_COOKIE,
    keys: [config.sessionSecret],
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: Boolean(config.tls),
    maxAge: idleTimeoutMs,
  });
}

export function sessionOf(req: Request): SessionData {
  if (!req.session) req.session = {};
  return req.session as SessionData;
}

export function minutesNow(now = Date.now()): number {
  return Math.floor(now / 60_000);
}
