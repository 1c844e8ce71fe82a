/**
 * Console tickets: `v1.<payload>.<mac>`, the payload a base64url JSON of what the ticket allows
 * (holder, machine, console kind, expiry, a random nonce) and the mac an HMAC-SHA256 over it with a
 * key derived from session_secret — so any replica with the same config accepts a ticket another
 * signed. Single use: redeeming records the nonce (UsedTickets) before the grant is returned.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  isConsoleKind,
  type ConsoleGrant,
  type ConsoleHolder,
  type ConsoleTicket,
  type RedeemResult,
} from '../../core/consoles.js';
import type { UsedTickets } from './used-tickets.js';

export const TICKET_LIFETIME_MS = 30_000;
const VERSION = 'v1';
/** Far above any real ticket: a longer one is refused before it is decoded. */
const MAX_TICKET_LENGTH = 2048;

interface Payload {
  /** Random nonce, base64url. */
  n: string;
  /** Expiry, ms since the epoch. */
  e: number;
  /** Holder: 's' (session) with its id, or 'a' (API credentials). */
  h: 's' | 'a';
  s?: string;
  u: string;
  p: string;
  m: string;
  nm: string;
  k: string;
  f?: 1;
}

export interface TicketSignerOptions {
  secret: string;
  used: UsedTickets;
  lifetimeMs?: number;
  now?: () => number;
}

export class ConsoleTickets {
  private readonly key: Buffer;
  private readonly lifetimeMs: number;
  private readonly now: () => number;

  constructor(private readonly options: TicketSignerOptions) {
    this.key = createHmac('sha256', options.secret).update('vmango console tickets v1').digest();
    this.lifetimeMs = options.lifetimeMs ?? TICKET_LIFETIME_MS;
    this.now = options.now ?? Date.now;
  }

  issue(grant: ConsoleGrant): ConsoleTicket {
    const expires = this.now() + this.lifetimeMs;
    const payload: Payload = {
      n: randomBytes(16).toString('base64url'),
      e: expires,
      h: grant.holder.kind === 'session' ? 's' : 'a',
      ...(grant.holder.kind === 'session' ? { s: grant.holder.sessionId } : {}),
      u: grant.holder.user,
      p: grant.provider,
      m: grant.id,
      nm: grant.name,
      k: grant.kind,
      ...(grant.force ? { f: 1 as const } : {}),
    };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return { ticket: `${VERSION}.${body}.${this.mac(body)}`, expiresAt: new Date(expires) };
  }

  redeem(ticket: unknown, presenter: ConsoleHolder): RedeemResult {
    if (typeof ticket !== 'string' || ticket === '') return refused('no ticket (connect with ?ticket= from a ticket request)');
    if (ticket.length > MAX_TICKET_LENGTH) return refused('not a console ticket');
    const [version, body, mac, ...rest] = ticket.split('.');
    if (version !== VERSION || !body || !mac || rest.length > 0) return refused('not a console ticket');
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return refused('the ticket is not signed by this panel');
    const payload = decode(body);
    if (!payload) return refused('not a console ticket');
    if (payload.e <= this.now())
      return refused(`the ticket has expired (a ticket lasts ${Math.round(this.lifetimeMs / 1000)} seconds): ask for a new one`);
    const holder: ConsoleHolder =
      payload.h === 's' ? { kind: 'session', sessionId: payload.s ?? '', user: payload.u } : { kind: 'api', user: payload.u };
    if (!sameHolder(holder, presenter)) {
      return refused(
        holder.kind === 'session' ? 'the ticket belongs to another session' : 'the ticket belongs to other API credentials',
      );
    }
    // Last, so that a refused presenter does not use up the holder's ticket.
    if (!this.options.used.claim(payload.n, payload.e)) return refused('the ticket was used already');
    return {
      ok: true,
      grant: {
        holder,
        provider: payload.p,
        id: payload.m,
        name: payload.nm,
        kind: payload.k as ConsoleGrant['kind'],
        force: payload.f === 1,
      },
    };
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

function refused(reason: string): RedeemResult {
  return { ok: false, reason };
}

function sameHolder(a: ConsoleHolder, b: ConsoleHolder): boolean {
  if (a.kind === 'session' && b.kind === 'session') return a.sessionId !== '' && a.sessionId === b.sessionId && a.user === b.user;
  return a.kind === 'api' && b.kind === 'api' && a.user === b.user;
}

function decode(body: string): Payload | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const p = value as Partial<Payload> | null;
  const text = (v: unknown): v is string => typeof v === 'string';
  if (
    !p ||
    !text(p.n) ||
    typeof p.e !== 'number' ||
    (p.h !== 's' && p.h !== 'a') ||
    !text(p.u) ||
    !text(p.p) ||
    !text(p.m) ||
    !text(p.nm) ||
    !isConsoleKind(p.k)
  )
    return undefined;
  return p as Payload;
}
