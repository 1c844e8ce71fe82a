/**
 * Console tickets already redeemed, until they expire. With a state directory each redeemed ticket
 * is a file `<state_dir>/console-tickets/<expiry ms>-<nonce>` created with O_EXCL: of any number of
 * replicas sharing the directory that try to redeem one ticket at once, exactly one creates the
 * file. Expired entries are removed by whichever replica sees them first. Without a state
 * directory the list is kept in memory only (one replica).
 */
import { mkdirSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../core/log.js';

const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
const ENTRY = /^(\d{13,16})-([A-Za-z0-9_-]{16,64})$/;

export interface UsedTicketsOptions {
  stateDir?: string;
  logger: Logger;
  /** How often expired entries are removed (default 30 s). */
  sweepMs?: number;
  now?: () => number;
}

export class UsedTickets {
  private readonly used = new Map<string, number>();
  private readonly dir?: string;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: UsedTicketsOptions) {
    this.now = options.now ?? Date.now;
    if (options.stateDir) {
      this.dir = join(options.stateDir, 'console-tickets');
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    }
    this.timer = setInterval(() => this.sweep(), options.sweepMs ?? 30_000);
    this.timer.unref();
  }

  /** Records the ticket `nonce` as used; false when it was used before. */
  claim(nonce: string, expiresMs: number): boolean {
    if (!NONCE.test(nonce) || this.used.has(nonce)) return false;
    if (this.dir) {
      try {
        writeFileSync(join(this.dir, `${Math.ceil(expiresMs)}-${nonce}`), '', { flag: 'wx', mode: 0o600 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
          this.used.set(nonce, expiresMs);
          return false;
        }
        // Fail closed: a ticket that cannot be recorded as used could be used twice.
        this.options.logger.error({ err, dir: this.dir }, 'cannot record a used console ticket: refusing it');
        return false;
      }
    }
    this.used.set(nonce, expiresMs);
    return true;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private sweep(): void {
    const now = this.now();
    for (const [nonce, until] of this.used) if (until <= now) this.used.delete(nonce);
    if (!this.dir) return;
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const match = ENTRY.exec(name);
      if (!match || Number(match[1]) > now) continue;
      try {
        unlinkSync(join(this.dir, name));
      } catch {
        // another replica removed it first
      }
    }
  }
}
