import type { Response } from 'express';
import { formatGoJson, type GoJsonValue } from '../../formats/go/json.js';

/** vmango 0.6's API content type, spelled as it sent it. */
export const API_CONTENT_TYPE = 'application/json; charset=UTF-8';

/** Sends `body` as 0.6 did (indented, Go escaping). A Buffer keeps Express from rewriting the charset. */
export function sendJson(res: Response, status: number, body: GoJsonValue): void {
  res.status(status);
  res.set('Content-Type', API_CONTENT_TYPE);
  res.set('Cache-Control', 'no-store');
  res.send(Buffer.from(formatGoJson(body), 'utf8'));
}

/**
 * Sends a body sendJson wrote before (a cached response), with the ETag Express gave it then, so the
 * response is the same bytes and headers without hashing them again.
 */
export function sendJsonBytes(res: Response, status: number, body: Buffer, etag: string | undefined): void {
  res.status(status);
  res.set('Content-Type', API_CONTENT_TYPE);
  res.set('Cache-Control', 'no-store');
  if (etag !== undefined) res.set('ETag', etag);
  res.send(body);
}

/** The ETag Express would give `body` (undefined when the app sends none). */
export function etagOf(res: Response, body: Buffer): string | undefined {
  const etagFn: unknown = res.app.get('etag fn');
  return typeof etagFn === 'function'
    ? (etagFn as (body: Buffer, encoding?: string) => string | undefined)(body) || undefined
    : undefined;
}

export function sendError(
  res: Response,
  status: number,
  message: string,
  headers: Record<string, string> = {},
  extra: { Permission?: string; Quota?: readonly string[] } = {},
): void {
  res.set(headers);
  sendJson(res, status, { Error: message, ...extra });
}
