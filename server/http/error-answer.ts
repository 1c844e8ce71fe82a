/**
 * The one mapping from what a request's handling threw to the HTTP answer, used by the API and the
 * pages alike: service error kinds to statuses (503 with Retry-After), HTTP errors as they are,
 * Express's own 4xx errors, and everything else a 500 whose cause is logged, never shown.
 */
import type { RequestField } from '../core/requests.js';
import { ServiceError, type ServiceErrorKind } from '../core/service-error.js';
import { HttpError } from './http-error.js';
import { QUOTA_KEYS } from '../core/quota.js';

export const STATUS_BY_KIND: Readonly<Record<ServiceErrorKind, number>> = {
  'bad-request': 400,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  unsupported: 501,
  unavailable: 503,
  internal: 500,
};

/** Seconds a client is asked to wait after a 503 that did not say. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

export interface ErrorAnswer {
  status: number;
  /** Safe to show; for a 500 the caller shows its own words instead. */
  message: string;
  headers: Record<string, string>;
  /** The request fields the error is about (a form puts the message next to them). */
  fields: readonly RequestField[];
  /** True for a 500: log the error with its cause. */
  unexpected: boolean;
  /** A 403's missing permission, or the quota resources it would pass. */
  permission?: string;
  quota?: readonly string[];
}

export function answerFor(err: unknown): ErrorAnswer {
  if (err instanceof ServiceError) {
    const status = STATUS_BY_KIND[err.kind] ?? 500;
    const headers: Record<string, string> =
      status === 503
        ? { 'Retry-After': String(Math.max(1, Math.ceil(err.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS))) }
        : {};
    return {
      status,
      message: err.message,
      headers,
      fields: err.fields,
      unexpected: status === 500,
      ...(err.permission ? { permission: err.permission } : {}),
      ...(err.quota ? { quota: err.quota.map((resource) => QUOTA_KEYS[resource]) } : {}),
    };
  }
  if (err instanceof HttpError)
    return { status: err.status, message: err.message, headers: err.headers, fields: [], unexpected: false };
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // Express's own 4xx errors, e.g. a path segment with a malformed %-escape; http-errors marks
    // those whose message is meant for the client with `expose`.
    const { message, expose } = err as { message?: unknown; expose?: unknown };
    const text =
      err instanceof URIError ? `the path has a malformed %-escape: ${err.message}` : expose === true ? message : undefined;
    return { status, message: typeof text === 'string' ? text : 'Bad request', headers: {}, fields: [], unexpected: false };
  }
  return { status: 500, message: 'Internal server error', headers: {}, fields: [], unexpected: true };
}
