/**
 * The browser session: a cookie signed (HMAC, keygrip) with the config's session_secret. It holds
 * a random session id (so one session can be ended: EndedSessions), the user name, a fingerprint
 * of the user's password hash (a new hash ends every session of the user), when the session began
 * and was last used, and the CSRF token. Not encrypted: nothing in it is secret from its owner.
 */
import cookieSession from 'cookie-session';
import type { Request, RequestHandler } from 'express';
import type { Config } from '../../config/index.js';

/** 0.6's cookie name: an old 0.6 cookie fails the signature check and is simply ignored. */
export const SESSION_COOKIE = 'vmango';

export interface SessionData {
  /** Random, base64url; names the session in the ended-sessions list. */
  sid?: string;
  user?: string;
  /** HMAC of the user's password hash when they logged in (passwordFingerprint). */
  pw?: string;
  /** Login time, ms since the epoch (the session's absolute lifetime counts from it). */
  iat?: number;
  /** Last authenticated request, seconds since the epoch (sliding idle timeout). */
  seen?: number;
  csrf?: string;
}

export function sessionMiddleware(config: Pick<Config, 'sessionSecret' | 'sessionLifetimeMs'>): RequestHandler {
  const cookies = cookieSession({
    name: SESSION_COOKIE,
    keys: [config.sessionSecret],
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    // The browser forgets it at the session's lifetime at the latest; the server decides sooner.
    maxAge: config.sessionLifetimeMs,
  });
  return (req, res, next) => {
    cookies(req, res, (err?: unknown) => {
      if (err) return next(err);
      // Secure whenever the browser talks HTTPS: to the panel itself, or to a trusted TLS proxy
      // in front of it (X-Forwarded-Proto, believed only from trusted_proxies).
      (req.sessionOptions as { secure?: boolean }).secure = req.secure;
      next();
    });
  };
}

export function sessionOf(req: Request): SessionData {
  if (!req.session) req.session = {};
  return req.session as SessionData;
}
