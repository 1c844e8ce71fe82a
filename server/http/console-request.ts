/**
 * Asking for a console ticket (API and pages alike): the body names the console kind (`Kind`,
 * serial by default, or vnc) and whether to take a serial console another client holds (`Force`);
 * the answer is the WebSocket URL to connect to, ticket included, valid for 30 seconds once.
 */
import type { Request } from 'express';
import { CONSOLE_KINDS, isConsoleKind, type ConsoleKind, type ConsoleTicket, type OpenConsoleRequest } from '../core/consoles.js';
import type { ParsedBody } from './body.js';
import { HttpError } from './http-error.js';
import { flagField, requestFields } from './request-fields.js';
import { SOCKET_PATH } from './live/console-protocol.js';

const FIELDS = 'Kind (serial or vnc) and Force (true or false)';

export function consoleRequestFromBody(body: ParsedBody, provider: string, id: string): OpenConsoleRequest {
  const fields = requestFields(body, ['Kind', 'Force'], { described: FIELDS });
  const kind = fields.get('Kind') ?? 'serial';
  if (!isConsoleKind(kind)) {
    throw new HttpError(400, `Kind must be one of ${CONSOLE_KINDS.join(', ')}, not ${JSON.stringify(kind).slice(0, 40)}`);
  }
  return { provider, id, kind, force: flagField(fields, 'Force', false) };
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
