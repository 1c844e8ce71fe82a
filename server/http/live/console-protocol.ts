/**
 * The console WebSocket, as pages and scripts see it (README "Consoles"). Connect to SOCKET_PATH
 * with `?ticket=`; the first frame from the panel is text, JSON: {"type":"ready",...} or
 * {"type":"error","code":...,"message":...} (then the socket closes). After "ready" every frame is
 * binary, both ways: the serial line's bytes, or the VNC server's RFB stream. The close frame's
 * code and reason say why a console ended.
 */
import type { ServiceErrorKind } from '../../core/service-error.js';

export const SOCKET_PATH = '/console/ws';

export const CLOSE = {
  /** The guest's side ended (machine stopped, console taken by a forced open) or the client closed. */
  normal: 1000,
  /** The panel is shutting down. */
  goingAway: 1001,
  /** A frame the protocol does not allow (text after "ready"). */
  unsupportedData: 1003,
  /** The session was logged out or expired. */
  sessionEnded: 4001,
  /** No bytes either way for the idle timeout. */
  idle: 4002,
  /** The machine was deleted. */
  machineRemoved: 4003,
  /** The client did not read what the guest sent. */
  tooSlow: 4008,
} as const;

/** Close codes for a console that could not be opened: 4000 + the HTTP status of the same refusal. */
export function openFailureCode(status: number): number {
  return 4000 + Math.min(599, Math.max(400, status));
}

export type ReadyMessage = { type: 'ready'; kind: string; provider: string; id: string; machine: string };
export type ErrorMessage = { type: 'error'; code: ServiceErrorKind | 'refused'; message: string };

/** A close reason is at most 123 bytes (RFC 6455); longer text is cut at a character boundary. */
export function closeReason(text: string): string {
  let reason = text;
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -1);
  return reason;
}
