/**
 * Whether a console WebSocket upgrade may go ahead, checked before anything is opened: the path,
 * the Host (as for every request), the Origin (a page of this panel, never another site's), who is
 * presenting the ticket (a valid session cookie, or API credentials checked like any API request),
 * and the ticket itself — signed, unexpired, for this presenter, not used before.
 */
import type { IncomingMessage } from 'node:http';
import type { ConsoleGrant, ConsoleHolder, ConsoleService } from '../../core/consoles.js';
import type { ApiAuthenticator } from '../../services/auth/api-authenticator.js';
import { apiCredentials } from '../api/api-auth.js';
import { hostOf } from '../host-check.js';
import { checkSession, type SessionPolicy } from '../session/authentication.js';
import { sessionFromRequest } from '../session/cookie-session.js';
import { SOCKET_PATH } from './console-protocol.js';

export interface AdmissionDeps {
  consoles: Pick<ConsoleService, 'redeemTicket'>;
  authenticator: Pick<ApiAuthenticator, 'identify'>;
  policy: SessionPolicy;
  allowedHosts: ReadonlySet<string> | 'any';
  secure: (req: IncomingMessage) => boolean;
  clientAddress: (req: IncomingMessage) => string;
}

export type Admission =
  | { ok: true; grant: ConsoleGrant; presenter: ConsoleHolder; sessionExpiresAtMs?: number; tokenId?: string }
  | { ok: false; status: number; message: string; headers?: Record<string, string> };

export function isConsoleSocketPath(url: string | undefined): boolean {
  return (url ?? '').split('?')[0] === SOCKET_PATH;
}

export async function admitConsole(req: IncomingMessage, deps: AdmissionDeps): Promise<Admission> {
  const url = new URL(req.url ?? '/', 'http://panel.invalid');
  if (url.pathname !== SOCKET_PATH) return refuse(404, 'no such WebSocket');
  const host = hostOf(req.headers.host);
  if (deps.allowedHosts !== 'any' && (host === undefined || !deps.allowedHosts.has(host))) {
    return refuse(
      421,
      `this panel does not answer to the host ${JSON.stringify((req.headers.host ?? '(none)').slice(0, 100)).slice(0, 110)}`,
    );
  }
  const origin = header(req, 'origin');
  const ownOrigin = `${deps.secure(req) ? 'https' : 'http'}://${(req.headers.host ?? '').toLowerCase()}`;
  if (origin !== undefined && origin.toLowerCase() !== ownOrigin) {
    return refuse(
      403,
      `the console was asked for by a page of another site (${origin.slice(0, 100)}); consoles open only from this panel's pages`,
    );
  }

  let presenter: ConsoleHolder;
  let tokenId: string | undefined;
  let sessionExpiresAtMs: number | undefined;
  const credentials = apiCredentials(req);
  if (credentials.user !== undefined || credentials.bearer !== undefined) {
    const outcome = await deps.authenticator.identify({ ...credentials, address: deps.clientAddress(req) });
    if (!outcome.ok) {
      if (outcome.reason === 'locked out' || outcome.reason === 'busy') {
        return refuse(429, `too many failed logins; try again in ${outcome.retryAfterSeconds} seconds`, {
          'Retry-After': String(outcome.retryAfterSeconds),
        });
      }
      return refuse(401, 'Authentication failed');
    }
    presenter = { kind: 'api', user: outcome.user };
    tokenId = outcome.tokenId;
  } else {
    const session = sessionFromRequest(req, deps.policy.config.sessionSecret);
    const valid = session ? checkSession(session, deps.policy) : undefined;
    if (!valid) {
      return refuse(
        401,
        'log in first: a console needs the session of a logged-in page, or API credentials (X-Vmango-User and X-Vmango-Pass, or Authorization: Bearer)',
      );
    }
    // Every browser sends Origin with a WebSocket; a session's console without one is not from a page.
    if (origin === undefined) return refuse(403, "the request has no Origin header; consoles open only from this panel's pages");
    presenter = { kind: 'session', sessionId: valid.sessionId, user: valid.user };
    sessionExpiresAtMs = valid.expiresAtMs;
  }

  const redeemed = deps.consoles.redeemTicket(url.searchParams.get('ticket') ?? '', presenter);
  if (!redeemed.ok) return refuse(403, `console refused: ${redeemed.reason}`);
  return {
    ok: true,
    grant: redeemed.grant,
    presenter,
    ...(sessionExpiresAtMs !== undefined ? { sessionExpiresAtMs } : {}),
    ...(tokenId !== undefined ? { tokenId } : {}),
  };
}

function refuse(status: number, message: string, headers?: Record<string, string>): Admission {
  return { ok: false, status, message, ...(headers ? { headers } : {}) };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
