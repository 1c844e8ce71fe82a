import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { Logger } from '../core/log.js';

/** An error whose message is safe and useful to show to the caller, with its HTTP status. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

export function wantsJson(req: Request): boolean {
  return req.path.startsWith('/api/') || req.path === '/api';
}

/** vmango 0.6's error shapes: `{"Error": "…"}` under /api/, a plain page elsewhere. */
export function sendError(req: Request, res: Parameters<RequestHandler>[1], status: number, message: string): void {
  if (wantsJson(req)) {
    res.status(status).json({ Error: message });
  } else {
    res.status(status).type('text/plain; charset=utf-8').send(`${status} ${message}\n`);
  }
}

export const notFoundHandler: RequestHandler = (req, res) => {
  sendError(req, res, 404, wantsJson(req) ? 'Not found' : 'page not found');
};

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    if (err instanceof HttpError) {
      res.set(err.headers);
      sendError(req, res, err.status, err.message);
      return;
    }
    const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) logger.error({ err, path: req.path }, 'failed to handle request');
    sendError(req, res, status, status === 500 ? 'Internal server error' : String(err?.message ?? 'Bad request'));
  };
}
