/**
 * Remembers, briefly, credentials that bcrypt has just verified, so an API client sending the same
 * user and password on every request pays bcrypt's ~70 ms once a minute instead of every time.
 *
 * Entries are keyed by HMAC-SHA256(per-process random key, user NUL password NUL hash): the cache
 * holds no password, a changed hash (new config) never matches an old entry, and the key cannot be
 * computed outside this process.
 */
import { createHmac, randomBytes } from 'node:crypto';

export interface CredentialCacheOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export const DEFAULT_CACHE_TTL_MS = 60_000;
export const DEFAULT_CACHE_MAX_ENTRIES = 1_000;

interface Entry {
  user: string;
  expiresAt: number;
}

export class CredentialCache {
  private readonly key = randomBytes(32);
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: CredentialCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_CACHE_TTL_MS;
    this.maxEntries = options.maxEntries ?? DEFAULT_CACHE_MAX_ENTRIES;
    this.now = options.now ?? Date.now;
    if (!(this.ttlMs > 0) || !Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new RangeError(`credential cache needs ttlMs > 0 and maxEntries ≥ 1 (got ${this.ttlMs}, ${this.maxEntries})`);
    }
  }

  has(user: string, password: string, hash: string): boolean {
    const digest = this.digest(user, password, hash);
    const entry = this.entries.get(digest);
    if (entry === undefined) return false;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(digest);
      return false;
    }
    return true;
  }

  remember(user: string, password: string, hash: string): void {
    const digest = this.digest(user, password, hash);
    this.entries.delete(digest);
    while (this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: the first entry is the oldest.
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    this.entries.set(digest, { user, expiresAt: this.now() + this.ttlMs });
  }

  /** A key naming these credentials (for sharing checks in flight); holds no password. */
  keyOf(user: string, password: string, hash: string): string {
    return this.digest(user, password, hash);
  }

  get size(): number {
    return this.entries.size;
  }

  private digest(user: string, password: string, hash: string): string {
    return createHmac('sha256', this.key).update(`${user}\0${password}\0${hash}`).digest('base64');
  }
}
