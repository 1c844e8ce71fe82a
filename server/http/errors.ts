/** Error answers outside the API and the pages (e.g. /static/), in vmango 0.6's shapes. */
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { Logger } from '../core/log.js';
import { answerFor } from './error-answer.js';

export function wantsJson(req: Request): boolean {
  return req.path.startsWith('/api/') || req.path === '/api';
}

/** `{"Error": "…"}` under /api/, a plain page elsewhere. */
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
    const answer = answerFor(err);
    if (answer.unexpected) logger.error({ err, path: req.path }, 'failed to handle request');
    res.set(answer.headers);
    sendError(req, res, answer.status, answer.message);
  };
}
