import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { Logger } from '../../core/log.js';
import { ServiceError, type ServiceErrorKind } from '../../core/services.js';
import { HttpError } from '../errors.js';
import { sendError } from './respond.js';

export const STATUS_BY_KIND: Readonly<Record<ServiceErrorKind, number>> = {
  'not-found': 404,
  'bad-request': 400,
  conflict: 409,
  unavailable: 503,
  unsupported: 501,
  internal: 500,
};

/** Seconds a client is asked to wait after a 503 that did not say. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

export const NOT_IMPLEMENTED = 'Not implemented';

/** 0.6's LimitMethods answer for a method a route does not serve. */
export const notImplemented: RequestHandler = (_req, _res, next) => {
  next(new HttpError(501, NOT_IMPLEMENTED));
};

/** Any other /api/ path: JSON 404 (0.6 answered unmatched paths, e.g. without the trailing slash, with 404). */
export const apiNotFound: RequestHandler = (_req, _res, next) => {
  next(new HttpError(404, 'Not found'));
};

/**
 * Errors of the API as `{"Error": …}`: service errors with their status and message, HTTP errors
 * as they are, everything else as a logged 500 that shows nothing of its cause.
 */
export function apiErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    if (err instanceof ServiceError) {
      const status = STATUS_BY_KIND[err.kind] ?? 500;
      if (status === 500) logger.error({ err, method: req.method, path: pathOf(req) }, 'failed to handle request');
      const headers: Record<string, string> =
        status === 503 ? { 'Retry-After': String(Math.max(1, Math.ceil(err.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS))) } : {};
      sendError(res, status, err.message, headers);
      return;
    }
    if (err instanceof HttpError) {
      sendError(res, err.status, err.message, err.headers);
      return;
    }
    const clientStatus = clientErrorStatus(err);
    if (clientStatus !== undefined) {
      // Express's own 4xx errors, e.g. a path segment with a malformed %-escape.
      const message = err instanceof URIError ? `the path has a malformed %-escape: ${err.message}` : 'Bad request';
      sendError(res, clientStatus, message);
      return;
    }
    logger.error({ err, method: req.method, path: pathOf(req) }, 'failed to handle request');
    sendError(res, 500, 'Internal server error');
  };
}

function clientErrorStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

function pathOf(req: Request): string {
  return req.originalUrl.split('?')[0] ?? req.originalUrl;
}
