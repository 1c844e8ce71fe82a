/**
 * API tokens: `vmt_<id>_<secret>`, sent as `Authorization: Bearer …`. The config keeps the id and
 * the SHA-256 of the secret; a token is checked with one hash and a constant-time compare (no
 * bcrypt: the secret is 256 random bits, so a fast hash is as strong as a slow one).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TokenConfig } from '../../config/index.js';

export const TOKEN_PREFIX = 'vmt_';
const TOKEN = /^vmt_([a-z0-9][a-z0-9-]{0,63})_([A-Za-z0-9_-]{43})$/;

export function newTokenSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function formatToken(id: string, secret: string): string {
  return `${TOKEN_PREFIX}${id}_${secret}`;
}

export function secretHash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export type TokenCheck =
  | { ok: true; token: TokenConfig }
  | { ok: false; reason: 'malformed' | 'unknown token' | 'wrong secret' | 'expired'; tokenId?: string };

export class TokenVerifier {
  private byId = new Map<string, TokenConfig>();

  constructor(
    tokens: readonly TokenConfig[],
    private readonly now: () => number = Date.now,
  ) {
    this.replace(tokens);
  }

  /** A reloaded config's tokens: a removed block is a revoked token. */
  replace(tokens: readonly TokenConfig[]): void {
    this.byId = new Map(tokens.map((token) => [token.id, token]));
  }

  /** The token of a bearer credential, or why it is refused (the id when it names one, never the secret). */
  verify(bearer: string): TokenCheck {
    const match = TOKEN.exec(bearer);
    if (!match) return { ok: false, reason: 'malformed' };
    const [, id, secret] = match as unknown as [string, string, string];
    const token = this.byId.get(id);
    if (!token) return { ok: false, reason: 'unknown token', tokenId: id };
    const given = Buffer.from(secretHash(secret), 'hex');
    if (!timingSafeEqual(given, Buffer.from(token.hash, 'hex'))) return { ok: false, reason: 'wrong secret', tokenId: id };
    if (token.expiresAt && token.expiresAt.getTime() <= this.now()) return { ok: false, reason: 'expired', tokenId: id };
    return { ok: true, token };
  }

  /** The tokens of a user (for listing). */
  of(user: string): TokenConfig[] {
    return [...this.byId.values()].filter((token) => token.user === user);
  }
}
