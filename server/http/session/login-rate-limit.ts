/** Limits failed logins per client address (successful ones are not counted). */
import { rateLimit } from 'express-rate-limit';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';

export interface LoginLimitOptions {
  windowMs: number;
  /** Failed attempts allowed per window. */
  failures: number;
}

export const DEFAULT_LOGIN_LIMIT: LoginLimitOptions = { windowMs: 5 * 60_000, failures: 10 };

export function loginRateLimit(
  options: LoginLimitOptions,
  clientAddress: (req: IncomingMessage) => string,
  onLimited: RequestHandler,
): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.failures,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => clientAddress(req),
    handler: onLimited,
    // The key is our own resolved client address (trusted_proxies aware), not req.ip.
    validate: { ip: false, keyGeneratorIpFallback: false, xForwardedForHeader: false, trustProxy: false },
  });
}
