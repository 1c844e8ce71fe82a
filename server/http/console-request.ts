/**
 * Asking for a console ticket (API and pages alike): the body names the console kind (`Kind`,
 * serial by default, or vnc) and whether to take a serial console another client holds (`Force`);
 * the answer is the WebSocket URL to connect to, ticket included, valid for 30 seconds once.
 */
import type { Request } from 'express';
import { CONSOLE_KINDS, isConsoleKind, type ConsoleKind, type ConsoleTicket, type OpenConsoleRequest } from '../core/consoles.js';
import type { ParsedBody } from './body.js';
import { HttpError } from './http-error.js';
import { SOCKET_PATH } from './live/console-protocol.js';

const FIELDS = 'Kind (serial or vnc) and Force (true or false)';
const IGNORED = new Set(['csrf']);

export function consoleRequestFromBody(body: ParsedBody, provider: string, id: string): OpenConsoleRequest {
  const fields = new Map<string, unknown>();
  const entries: [string, unknown][] =
    body.kind === 'form' ? body.fields : isPlainObject(body.value) ? Object.entries(body.value) : notAnObject();
  for (const [name, value] of entries) {
    const key = name.toLowerCase();
    if (IGNORED.has(key)) continue;
    if (key !== 'kind' && key !== 'force')
      throw new HttpError(400, `unknown field "${name.slice(0, 40)}"; the fields are ${FIELDS}`);
    if (fields.has(key)) throw new HttpError(400, `the field ${name.slice(0, 40)} is given twice`);
    fields.set(key, value);
  }
  const kind = fields.get('kind') ?? 'serial';
  if (!isConsoleKind(kind)) {
    throw new HttpError(400, `Kind must be one of ${CONSOLE_KINDS.join(', ')}, not ${JSON.stringify(kind).slice(0, 40)}`);
  }
  return { provider, id, kind, force: booleanField(fields.get('force')) };
}

/** The JSON answer: where to connect, the ticket alone, and when it expires. */
export function consoleTicketJson(req: Request, kind: ConsoleKind, ticket: ConsoleTicket): Record<string, string> {
  const scheme = req.secure ? 'wss' : 'ws';
  return {
    Url: `${scheme}://${req.headers.host ?? 'localhost'}${SOCKET_PATH}?ticket=${encodeURIComponent(ticket.ticket)}`,
    Ticket: ticket.ticket,
    ExpiresAt: ticket.expiresAt.toISOString(),
    Kind: kind,
  };
}

function booleanField(value: unknown): boolean {
  if (value === undefined || value === false || value === 'false' || value === '0' || value === '') return false;
  if (value === true || value === 'true' || value === '1' || value === 'on') return true;
  throw new HttpError(400, `Force must be true or false, not ${JSON.stringify(value).slice(0, 40)}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function notAnObject(): never {
  throw new HttpError(400, `the request body must be a JSON object with ${FIELDS}`);
}
