import type { Response } from 'express';
import { formatGoJson, type GoJsonValue } from './go-json.js';

/** vmango 0.6's API content type, spelled as it sent it. */
export const API_CONTENT_TYPE = 'application/json; charset=UTF-8';

/** Sends `body` as 0.6 did (indented, Go escaping). A Buffer keeps Express from rewriting the charset. */
export function sendJson(res: Response, status: number, body: GoJsonValue): void {
  res.status(status);
  res.set('Content-Type', API_CONTENT_TYPE);
  res.set('Cache-Control', 'no-store');
  res.send(Buffer.from(formatGoJson(body), 'utf8'));
}

export function sendError(res: Response, status: number, message: string, headers: Record<string, string> = {}): void {
  res.set(headers);
  sendJson(res, status, { Error: message });
}
