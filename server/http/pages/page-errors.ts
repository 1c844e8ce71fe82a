/**
 * Errors on pages: the error page inside the layout, with the status the service's error kind
 * maps to (the same mapping as the API) and a message that is safe to show.
 */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../../core/log.js';
import { ServiceError } from '../../core/services.js';
import { DEFAULT_RETRY_AFTER_SECONDS, STATUS_BY_KIND } from '../api/errors.js';
import { HttpError } from '../errors.js';
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
    const { status, message, headers } = describe(err);
    if (status === 500) {
      logger.error({ err, method: req.method, path: req.path }, 'failed to handle request');
    }
    res.set(headers);
    sendErrorPage(render, req, res, status, message);
  };
}

function describe(err: unknown): { status: number; message: string; headers: Record<string, string> } {
  if (err instanceof ServiceError) {
    const status = STATUS_BY_KIND[err.kind] ?? 500;
    if (status === 500) return { status, message: 'The server could not complete the request; the details are in its log.', headers: {} };
    const headers: Record<string, string> = status === 503
      ? { 'Retry-After': String(Math.max(1, Math.ceil(err.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS))) }
      : {};
    return { status, message: err.message, headers };
  }
  if (err instanceof HttpError) return { status: err.status, message: err.message, headers: err.headers };
  const status = (err as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const text = (err as { message?: unknown }).message;
    return { status, message: typeof text === 'string' ? text : 'Bad request', headers: {} };
  }
  return { status: 500, message: 'The server could not complete the request; the details are in its log.', headers: {} };
}
