/**
 * Errors on pages: the error page inside the layout, with the status the service's error kind
 * maps to (the same mapping as the API) and a message that is safe to show.
 */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../../core/log.js';
import { answerFor } from '../error-answer.js';
import { sendPage } from './render.js';
import type { ViewRenderer } from './views.js';

const HEADINGS: Record<number, string> = {
  400: 'Bad request',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Too large',
  415: 'Unsupported request',
  429: 'Too many attempts',
  500: 'Something went wrong',
  501: 'Not supported',
  503: 'Provider unavailable',
};

export function sendErrorPage(render: ViewRenderer, req: Request, res: Response, status: number, message: string): void {
  const heading = HEADINGS[status] ?? 'Error';
  sendPage(render, req, res, 'error', { title: `${status} ${heading}`, status, heading, message }, status);
}

export function pageNotFound(render: ViewRenderer): RequestHandler {
  return (req, res) => sendErrorPage(render, req, res, 404, `There is no page at ${req.path}.`);
}

export function pageErrorHandler(render: ViewRenderer, logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const answer = answerFor(err);
    if (answer.unexpected) logger.error({ err, method: req.method, path: req.path }, 'failed to handle request');
    res.set(answer.headers);
    sendErrorPage(render, req, res, answer.status, answer.unexpected ? UNEXPECTED : answer.message);
  };
}

const UNEXPECTED = 'The server could not complete the request; the details are in its log.';
