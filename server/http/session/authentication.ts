/**
 * Who is logged in. A session counts only while its user still exists in the config with the
 * same password hash, it is younger than session_lifetime, was used within session_idle_timeout,
 * and was not ended (logged out) on any replica. Each use moves the idle expiry forward (the
 * cookie is re-sent at most every minute, or every quarter of the idle timeout if shorter).
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Config } from '../../config/index.js';
import type { EndedSessions } from '../../services/auth/ended-sessions.js';
import { sessionOf, type SessionData } from './cookie-session.js';
import { loginUrlFor } from './safe-next.js';

export interface SessionPolicy {
  config: Pick<Config, 'users' | 'sessionSecret' | 'sessionIdleTimeoutMs' | 'sessionLifetimeMs'>;
  ended: EndedSessions;
}

export function sessionUser(res: Response): string | undefined {
  return res.locals.user as string | undefined;
}

/** The id of the request's valid session (for limits per session), when there is one. */
export function sessionId(res: Response): string | undefined {
  return res.locals.sessionId as string | undefined;
}

/** A short HMAC of a password hash: changes whenever the hash does, and tells nothing about it. */
export function passwordFingerprint(secret: string, passwordHash: string): string {
  return createHmac('sha256', secret).update(`session\u0000${passwordHash}`).digest('base64url').slice(0, 22);
}

/** A session that counts (see the top of this file), and when it stops counting unless used again. */
export interface ValidSession {
  user: string;
  sessionId: string;
  /** The earlier of its lifetime's end and its idle expiry, ms since the epoch. */
  expiresAtMs: number;
}

/** Whether `session` counts now; the one rule both requests and console sockets apply. */
export function checkSession(session: SessionData, { config, ended }: SessionPolicy, now = Date.now()): ValidSession | undefined {
  if (session.user === undefined) return undefined;
  const account = config.users.find((candidate) => candidate.name === session.user);
  const valid =
    account !== undefined &&
    typeof session.sid === 'string' &&
    typeof session.iat === 'number' &&
    typeof session.seen === 'number' &&
    session.pw === passwordFingerprint(config.sessionSecret, account.passwordHash) &&
    now - session.iat < config.sessionLifetimeMs &&
    now - session.seen * 1000 < config.sessionIdleTimeoutMs &&
    !ended.isEnded(session.sid);
  if (!valid) return undefined;
  return {
    user: session.user,
    sessionId: session.sid!,
    expiresAtMs: Math.min(session.iat! + config.sessionLifetimeMs, session.seen! * 1000 + config.sessionIdleTimeoutMs),
  };
}

/** Sets `res.locals.user` (and sessionId) from a valid session; drops any other. */
export function identifyUser(policy: SessionPolicy): RequestHandler {
  const { config } = policy;
  return (req, res, next) => {
    const session = sessionOf(req);
    if (session.user === undefined) return next();
    const now = Date.now();
    const valid = checkSession(session, policy, now);
    if (!valid) {
      req.session = null;
      return next();
    }
    const refreshMs = Math.min(60_000, config.sessionIdleTimeoutMs / 4);
    if (now - (session.seen ?? 0) * 1000 >= refreshMs) session.seen = Math.floor(now / 1000);
    res.locals.user = valid.user;
    res.locals.sessionId = valid.sessionId;
    next();
  };
}

export function logIn(req: Request, user: string, policy: SessionPolicy): void {
  const account = policy.config.users.find((candidate) => candidate.name === user);
  const now = Date.now();
  // A new session: nothing from the anonymous one (its CSRF token included) carries over.
  req.session = {
    sid: randomBytes(18).toString('base64url'),
    user,
    pw: passwordFingerprint(policy.config.sessionSecret, account?.passwordHash ?? ''),
    iat: now,
    seen: Math.floor(now / 1000),
  };
}

/** Ends the session for good: its cookie, if kept, is refused here and on every replica. */
export function logOut(req: Request, policy: SessionPolicy): void {
  const session = sessionOf(req);
  if (typeof session.sid === 'string' && typeof session.iat === 'number') {
    policy.ended.end(session.sid, session.iat + policy.config.sessionLifetimeMs);
  }
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
