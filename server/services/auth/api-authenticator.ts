/**
 * Who an API request (or an API console upgrade) is: an API token (`Authorization: Bearer vmt_…`)
 * or vmango 0.6's user and password headers. A request that sends a bearer token is judged by the
 * token alone.
 */
import type { LoginGuard, LoginOutcome } from './login-guard.js';
import type { TokenVerifier } from './api-tokens.js';

export interface ApiCredentials {
  user: string | undefined;
  password: string | undefined;
  /** The `Authorization` header's value when it is `Bearer …`: what follows. */
  bearer: string | undefined;
  address: string;
}

export type ApiIdentity =
  | { ok: true; user: string; tokenId?: string }
  | (Exclude<LoginOutcome, { ok: true }> & { tokenId?: string })
  | { ok: false; reason: 'malformed token' | 'unknown token' | 'wrong secret' | 'expired token'; tokenId?: string };

export class ApiAuthenticator {
  constructor(
    private readonly guard: Pick<LoginGuard, 'attempt'>,
    private readonly tokens: Pick<TokenVerifier, 'verify'>,
  ) {}

  async identify(credentials: ApiCredentials): Promise<ApiIdentity> {
    if (credentials.bearer !== undefined) {
      const check = this.tokens.verify(credentials.bearer);
      if (check.ok) return { ok: true, user: check.token.user, tokenId: check.token.id };
      const reason =
        check.reason === 'malformed' ? 'malformed token' : check.reason === 'expired' ? 'expired token' : check.reason;
      return { ok: false, reason, ...(check.tokenId ? { tokenId: check.tokenId } : {}) };
    }
    return this.guard.attempt(credentials);
  }
}

/** The bearer token of an `Authorization` header value, if it is one. */
export function bearerOf(authorization: string | undefined): string | undefined {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}
