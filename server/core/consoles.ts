/**
 * Consoles of a machine: its serial port (text) and its graphical display (VNC), as byte streams,
 * opened only with a ticket: a short-lived, single-use grant that an authenticated request gets
 * and that names who may redeem it, for which machine and which console.
 */
import type { Duplex } from 'node:stream';

export const CONSOLE_KINDS = ['serial', 'vnc'] as const;
export type ConsoleKind = (typeof CONSOLE_KINDS)[number];

export function isConsoleKind(value: unknown): value is ConsoleKind {
  return (CONSOLE_KINDS as readonly unknown[]).includes(value);
}

export interface OpenConsoleRequest {
  provider: string;
  id: string;
  kind: ConsoleKind;
  /** Serial only: take the console from another client that holds it. */
  force?: boolean;
}

/**
 * Who a ticket is for: one browser session (its id), or API credentials of a user (the upgrade
 * carries them again). A ticket is redeemed only by the same holder.
 */
export type ConsoleHolder = { kind: 'session'; sessionId: string; user: string } | { kind: 'api'; user: string };

export interface ConsoleTicket {
  ticket: string;
  expiresAt: Date;
}

/** What a redeemed ticket allows. */
export interface ConsoleGrant extends OpenConsoleRequest {
  holder: ConsoleHolder;
  /** The machine's name when the ticket was issued (for logs). */
  name: string;
}

export type RedeemResult = { ok: true; grant: ConsoleGrant } | { ok: false; reason: string };

export interface ConsoleChannel {
  kind: ConsoleKind;
  provider: string;
  /** The machine id (32 hex digits) and name. */
  id: string;
  name: string;
  /** Bytes to and from the guest: a serial line, or the VNC server's RFB protocol. Ends when the console does. */
  stream: Duplex;
  close(reason: string): void;
}

export interface ConsoleService {
  /**
   * Checks that the machine exists and is running, and signs a ticket for `holder` (valid for
   * `ticketLifetimeMs`, 30 s). Refusals are ServiceErrors ('not-found', 'bad-request').
   */
  issueTicket(request: OpenConsoleRequest, holder: ConsoleHolder): Promise<ConsoleTicket>;
  /**
   * Redeems a ticket presented by `presenter`: refused when forged, expired, for another holder,
   * or already used (here or on another replica sharing the state directory).
   */
  redeemTicket(ticket: string, presenter: ConsoleHolder): RedeemResult;
  /**
   * Opens a console. Refusals are ServiceErrors: 'not-found' (machine), 'bad-request' (not running,
   * no such console), 'conflict' (another client holds the serial console; `force` takes it),
   * 'unavailable' (the hypervisor or its SSH endpoint did not answer in time, or too many consoles).
   */
  open(request: OpenConsoleRequest): Promise<ConsoleChannel>;
  close(): void;
}
