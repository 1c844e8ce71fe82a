import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { Logger } from '../../core/log.js';
import { HttpError } from '../http-error.js';
import { answerFor } from '../error-answer.js';
import { sendError } from './respond.js';

export const NOT_IMPLEMENTED = 'Not implemented';

/** 0.6's LimitMethods answer for a method a route does not serve. */
export const notImplemented: RequestHandler = (_req, _res, next) => {
  next(new HttpError(501, NOT_IMPLEMENTED));
};

/** Any other /api/ path: JSON 404 (0.6 answered unmatched paths, e.g. without the trailing slash, with 404). */
export const apiNotFound: RequestHandler = (_req, _res, next) => {
  next(new HttpError(404, 'Not found'));
};

/** Errors of the API as `{"Error": …}` (answerFor decides the status and what may be shown). */
export function apiErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const answer = answerFor(err);
    if (answer.unexpected) logger.error({ err, method: req.method, path: pathOf(req) }, 'failed to handle request');
    sendError(res, answer.status, answer.unexpected ? 'Internal server error' : answer.message, answer.headers, {
      ...(answer.permission ? { Permission: answer.permission } : {}),
      ...(answer.quota ? { Quota: answer.quota } : {}),
    });
  };
}

function pathOf(req: Request): string {
  return req.originalUrl.split('?')[0] ?? req.originalUrl;
}
