/**
 * The browser session: a cookie signed (HMAC, keygrip) with the config's session_secret. It holds
 * a random session id (so one session can be ended: EndedSessions), the user name, a fingerprint
 * of the user's password hash (a new hash ends every session of the user), when the session began
 * and was last used, and the CSRF token. Not encrypted: nothing in it is secret from its owner.
 */
import cookieSession from 'cookie-session';
import type { Request, RequestHandler } from 'express';
import type { IncomingMessage } from 'node:http';
import Keygrip from 'keygrip';
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

/**
 * The session a request's cookies carry, read without a response to write to (a WebSocket upgrade):
 * the same cookie and signature check cookie-session makes (keygrip over `vmango=<value>`), or
 * undefined for a missing, unsigned or forged one. Validity is checkSession's to decide.
 */
export function sessionFromRequest(req: IncomingMessage, secret: string): SessionData | undefined {
  const cookies = cookieJar(req.headers.cookie);
  const value = cookies.get(SESSION_COOKIE);
  const signature = cookies.get(`${SESSION_COOKIE}.sig`);
  if (!value || !signature) return undefined;
  if (new Keygrip([secret]).index(`${SESSION_COOKIE}=${value}`, signature) < 0) return undefined;
  try {
    const session: unknown = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
    return typeof session === 'object' && session !== null ? (session as SessionData) : undefined;
  } catch {
    return undefined;
  }
}

/** Cookie names to values as sent (not decoded: the session cookie is base64); the first of a name wins. */
function cookieJar(header: string | undefined): Map<string, string> {
  const jar = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!jar.has(name)) jar.set(name, value);
  }
  return jar;
}
