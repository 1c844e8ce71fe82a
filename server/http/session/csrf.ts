/**
 * CSRF protection with csrf-sync (synchronizer token kept in the signed session): every form
 * carries the token in a `csrf` field (0.6's field name); `X-CSRF-Token` is accepted too.
 */
import { csrfSync } from 'csrf-sync';
import type { Request, RequestHandler } from 'express';
import type { ParsedBody } from '../body.js';
import { sessionOf } from './cookie-session.js';

export const CSRF_FIELD = 'csrf';

export function formField(body: unknown, name: string): string | undefined {
  const parsed = body as ParsedBody | undefined;
  if (parsed?.kind !== 'form') return undefined;
  return parsed.fields.find(([field]) => field.toLowerCase() === name.toLowerCase())?.[1];
}

const sync = csrfSync({
  size: 32,
  getTokenFromRequest: (req: Request) => formField(req.body, CSRF_FIELD) ?? req.get('x-csrf-token'),
  getTokenFromState: (req: Request) => sessionOf(req).csrf,
  storeTokenInState: (req: Request, token?: string | null) => {
    const session = sessionOf(req);
    if (typeof token === 'string') session.csrf = token;
    else delete session.csrf;
  },
  errorConfig: {
    statusCode: 403,
    message: 'CSRF token invalid or missing; reload the page and try again',
    code: 'EBADCSRFTOKEN',
  },
});

/** Rejects unsafe requests without the session's token (403); needs the body read first. */
export const csrfProtection: RequestHandler = sync.csrfSynchronisedProtection;

/** The session's token, created on first use; templates put it in every form. */
export function csrfToken(req: Request): string {
  return sync.generateToken(req);
}
