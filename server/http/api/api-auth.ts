/**
 * vmango 0.6's API authentication: every request carries `X-Vmango-User` and `X-Vmango-Pass`,
 * checked against the config's bcrypt hashes (LoginGuard). Failure is 401 `{"Error": "Authentication
 * failed"}`, never a redirect; a locked-out user or address gets 429 with Retry-After.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { IncomingMessage } from 'node:http';
import type { AuditSink } from '../../core/audit.js';
import type { Logger } from '../../core/log.js';
import { bearerOf, type ApiAuthenticator } from '../../services/auth/api-authenticator.js';
import { HttpError } from '../http-error.js';

export const AUTH_FAILED = 'Authentication failed';
export const USER_HEADER = 'x-vmango-user';
export const PASSWORD_HEADER = 'x-vmango-pass';

export interface ApiAuthDeps {
  authenticator: ApiAuthenticator;
  clientAddress: (req: IncomingMessage) => string;
  logger: Logger;
  /** Failed authentications are recorded (bounded by the login limiter: a locked-out caller is not). */
  audit?: AuditSink;
}

/**
 * Middleware: lets the request through with `res.locals.user` (and `tokenId` for a token) set, or
 * fails it with 401/429. The token itself is never logged.
 */
export function apiAuthentication({ authenticator, clientAddress, logger, audit }: ApiAuthDeps): RequestHandler {
  return async (req, res, next) => {
    const { user, password, bearer } = apiCredentials(req);
    const address = clientAddress(req);
    const outcome = await authenticator.identify({ user, password, bearer, address });
    if (outcome.ok) {
      res.locals.user = outcome.user;
      if (outcome.tokenId !== undefined) res.locals.tokenId = outcome.tokenId;
      next();
      return;
    }
    if (outcome.reason === 'locked out' || outcome.reason === 'busy') {
      const wait = outcome.retryAfterSeconds;
      const why = outcome.reason === 'busy' ? 'too many logins are being checked right now' : 'too many failed logins';
      next(new HttpError(429, `${why}; try again in ${wait} seconds`, { 'Retry-After': String(wait) }));
      return;
    }
    if (outcome.reason !== 'no credentials') {
      const who = bearer === undefined ? { user: user?.slice(0, 100) } : { token: outcome.tokenId ?? '(malformed)' };
      audit?.record({
        time: new Date().toISOString(),
        action: 'login.failed',
        outcome: 'refused',
        ...who,
        address,
        durationMs: 0,
        error: AUTH_FAILED,
        detail: { via: 'api', reason: outcome.reason },
      });
      logger.warn(
        {
          ...(bearer === undefined ? { user } : { token: outcome.tokenId ?? '(malformed)' }),
          remote: address,
          reason: outcome.reason,
        },
        'api authentication failed',
      );
    }
    next(new HttpError(401, AUTH_FAILED));
  };
}

/** The user `apiAuthentication` let through. Per request: never kept on shared state. */
export function authenticatedUser(res: Response): string {
  const user: unknown = res.locals.user;
  if (typeof user !== 'string') throw new Error('authenticatedUser called on a route without apiAuthentication');
  return user;
}

/** The user name and password, or bearer token, an API request carries (any may be missing). */
export function apiCredentials(req: Request | IncomingMessage): {
  user: string | undefined;
  password: string | undefined;
  bearer: string | undefined;
} {
  return {
    user: headerText(req, USER_HEADER),
    password: headerText(req, PASSWORD_HEADER),
    bearer: bearerOf(headerText(req, 'authorization')),
  };
}

/**
 * A header as text. Node reads header bytes as Latin-1; clients send non-ASCII passwords as UTF-8
 * bytes (as 0.6 compared them), so the bytes are re-read as UTF-8.
 */
function headerText(req: Request | IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  return Buffer.from(raw, 'latin1').toString('utf8');
}
