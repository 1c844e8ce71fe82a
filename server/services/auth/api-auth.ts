/**
 * vmango 0.6's API authentication: every request carries `X-Vmango-User` and `X-Vmango-Pass`,
 * checked against the config's bcrypt hashes. Failure is 401 `{"Error": "Authentication failed"}`,
 * never a redirect. Added: verified credentials are cached briefly, and repeated failures per
 * user name and per client address are answered with 429 and Retry-After.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../../core/log.js';
import { HttpError } from '../../http/errors.js';
import { addressKey, FailureLimiter, userKey } from './failure-limiter.js';
import type { PasswordVerifier } from './password-verifier.js';

export const AUTH_FAILED = 'Authentication failed';
export const USER_HEADER = 'x-vmango-user';
export const PASSWORD_HEADER = 'x-vmango-pass';

export interface ApiAuthDeps {
  verifier: PasswordVerifier;
  limiter: FailureLimiter;
  clientAddress: (req: IncomingMessage) => string;
  logger: Logger;
}

/** Middleware: lets the request through with `res.locals.user` set, or fails it with 401/429. */
export function apiAuthentication({ verifier, limiter, clientAddress, logger }: ApiAuthDeps): RequestHandler {
  return async (req, res, next) => {
    const user = headerText(req, USER_HEADER);
    const password = headerText(req, PASSWORD_HEADER);
    const address = clientAddress(req);
    const keys = user === undefined ? [addressKey(address)] : [addressKey(address), userKey(user)];
    const lockout = await limiter.lockout(keys);
    if (lockout) {
      next(
        new HttpError(429, `too many failed logins; try again in ${lockout.retryAfterSeconds} seconds`, {
          'Retry-After': String(lockout.retryAfterSeconds),
        }),
      );
      return;
    }
    // A request without credentials is not a guess, so it does not count as a failure.
    if (!user || !password) {
      next(new HttpError(401, AUTH_FAILED));
      return;
    }
    const result = await verifier.verify(user, password);
    if (!result.ok) {
      await limiter.recordFailure(keys);
      logger.warn({ user, remote: address, reason: result.reason }, 'api authentication failed');
      next(new HttpError(401, AUTH_FAILED));
      return;
    }
    res.locals.user = result.user;
    next();
  };
}

/** The user `apiAuthentication` let through. Per request: never kept on shared state. */
export function authenticatedUser(res: Response): string {
  const user: unknown = res.locals.user;
  if (typeof user !== 'string') throw new Error('authenticatedUser called on a route without apiAuthentication');
  return user;
}

/**
 * A header as text. Node reads header bytes as Latin-1; clients send non-ASCII passwords as UTF-8
 * bytes (as 0.6 compared them), so the bytes are re-read as UTF-8.
 */
function headerText(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  return Buffer.from(raw, 'latin1').toString('utf8');
}
