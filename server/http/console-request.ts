/**
 * Asking for a console ticket (API and pages alike): the body names the console kind (`Kind`,
 * serial by default, or vnc) and whether to take a serial console another client holds (`Force`);
 * the answer is the WebSocket URL to connect to, ticket included, valid for 30 seconds once.
 */
import type { Request } from 'express';
import { CONSOLE_KINDS, type ConsoleKind, type ConsoleTicket, type OpenConsoleRequest } from '../core/consoles.js';
import type { ParsedBody } from './body.js';
import { SOCKET_PATH } from './live/console-protocol.js';
import { bodySchema, Field, readBodyFields } from './request-schema.js';

export const CONSOLE_BODY = {
  schema: bodySchema({
    Kind: Field.oneOf(CONSOLE_KINDS, 'The console: serial (text) or vnc (graphics). Default serial.'),
    Force: Field.flag('Take the serial console from the client that holds it.', false),
  }),
  described: 'Kind (serial or vnc) and Force (true or false)',
};

export function consoleRequestFromBody(body: ParsedBody, provider: string, id: string): OpenConsoleRequest {
  const { Kind, Force } = readBodyFields(body, CONSOLE_BODY);
  return { provider, id, kind: Kind ?? 'serial', force: Force ?? false };
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
