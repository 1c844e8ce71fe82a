/**
 * Sessions that were ended (logged out) before they expired, so their cookies are refused for the
 * rest of their lifetime — without a database. Each ended session is an empty file
 * `<state_dir>/ended-sessions/<expiry ms>-<session id>`: writing one is atomic, every replica
 * sharing the directory reads the new names every `reloadMs`, and expired ones are deleted by
 * whichever replica sees them first. Without a state directory the list is kept in memory only.
 */
import { mkdirSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../core/log.js';

/** Session ids are random base64url; anything else in the directory is not ours. */
const SESSION_ID = /^[A-Za-z0-9_-]{16,64}$/;
const ENTRY = /^(\d{13,16})-([A-Za-z0-9_-]{16,64})$/;

export interface EndedSessionsOptions {
  /** The panel's state directory, or undefined to remember ended sessions in memory only. */
  stateDir?: string;
  /** How often other replicas' ended sessions are read (default 2 s). */
  reloadMs?: number;
  logger: Logger;
  now?: () => number;
}

export class EndedSessions {
  private readonly ended = new Map<string, number>();
  private readonly dir?: string;
  private readonly now: () => number;
  private readonly timer?: NodeJS.Timeout;
  private readonly listeners = new Set<(sessionId: string) => void>();

  constructor(private readonly options: EndedSessionsOptions) {
    this.now = options.now ?? Date.now;
    if (options.stateDir) {
      this.dir = join(options.stateDir, 'ended-sessions');
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      this.reload();
      this.timer = setInterval(() => this.reload(), options.reloadMs ?? 2_000);
      this.timer.unref();
    }
  }

  /** How long, at most, a session ended on another replica may still work here. */
  get propagationMs(): number {
    return this.dir ? (this.options.reloadMs ?? 2_000) : Infinity;
  }

  /** Calls `listener` with each session ended from now on, here or (when read) on another replica. */
  onEnded(listener: (sessionId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  isEnded(sessionId: string): boolean {
    const until = this.ended.get(sessionId);
    return until !== undefined && until > this.now();
  }

  /** Ends a session for good; `untilMs` is when it would have expired anyway. */
  end(sessionId: string, untilMs: number): void {
    if (!SESSION_ID.test(sessionId) || untilMs <= this.now()) return;
    this.ended.set(sessionId, untilMs);
    this.notify(sessionId);
    if (!this.dir) return;
    try {
      writeFileSync(join(this.dir, `${Math.ceil(untilMs)}-${sessionId}`), '', { mode: 0o600 });
    } catch (err) {
      this.options.logger.error(
        { err, dir: this.dir },
        'cannot record an ended session: other replicas and a restart will not know it',
      );
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.listeners.clear();
  }

  private notify(sessionId: string): void {
    for (const listener of this.listeners) listener(sessionId);
  }

  private reload(): void {
    if (!this.dir) return;
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (err) {
      this.options.logger.warn({ err, dir: this.dir }, 'cannot read ended sessions');
      return;
    }
    const now = this.now();
    for (const name of names) {
      const match = ENTRY.exec(name);
      if (!match) continue;
      const until = Number(match[1]);
      if (until <= now) {
        try {
          unlinkSync(join(this.dir, name));
        } catch {
          // another replica deleted it first
        }
        continue;
      }
      const id = match[2]!;
      const known = this.ended.has(id);
      this.ended.set(id, until);
      if (!known) this.notify(id);
    }
    for (const [id, until] of this.ended) if (until <= now) this.ended.delete(id);
  }
}
