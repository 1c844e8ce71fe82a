/**
 * The audit log: every entry goes to the window queries read and, when the config names a file,
 * to that file as one JSON line. At start the file's tail fills the window, so history survives a
 * restart. record() never throws and never waits.
 */
import { isAuditAction, type AuditEntry, type AuditPage, type AuditQuery, type AuditSink } from '../../core/audit.js';
import { pino } from 'pino';
import type { Logger } from '../../core/log.js';
import { AuditFile, readTail, type AuditFileOptions } from './audit-file.js';
import { AuditWindow, checkQuery, DEFAULT_AUDIT_WINDOW } from './audit-window.js';

export interface AuditLogOptions extends AuditFileOptions {
  /** The file (the config's `audit_log`); undefined keeps the entries in memory only. */
  path?: string;
  /** Default: nothing logged (a log kept in memory only has nothing to say). */
  logger?: Logger;
  /** Entries kept for queries (default 10 000). */
  window?: number;
}

/** The tail read at start: enough bytes for a full window of typical (300–400 byte) lines. */
const TAIL_BYTES_PER_ENTRY = 512;

/** At most one `token.use` entry per token in this long. */
export const TOKEN_USE_INTERVAL_MS = 60_000;

/** `login.failed` entries per address and minute; the rest are counted in the log's `suppressed`. */
export const FAILED_LOGINS_PER_MINUTE = 30;

/** At most `budget` per key in each `intervalMs`, for a bounded number of keys. */
class PerKeyBudget {
  private readonly used = new Map<string, { since: number; count: number }>();
  suppressed = 0;

  constructor(
    private readonly budget: number,
    private readonly intervalMs: number,
  ) {}

  allow(key: string): boolean {
    const now = Date.now();
    let slot = this.used.get(key);
    if (!slot || now - slot.since >= this.intervalMs) {
      if (this.used.size >= 10_000) this.used.clear();
      this.used.set(key, (slot = { since: now, count: 0 }));
    }
    if (slot.count >= this.budget) {
      this.suppressed++;
      return false;
    }
    slot.count++;
    return true;
  }
}

export class AuditLog implements AuditSink {
  readonly window: AuditWindow;
  private file: AuditFile | undefined;
  private readonly tokenSeen = new Map<string, number>();
  private readonly logger: Logger;
  /** Bad tokens cost nothing to try (no bcrypt, no lockout): their entries are bounded per address. */
  private readonly failures = new PerKeyBudget(FAILED_LOGINS_PER_MINUTE, 60_000);

  constructor(private readonly options: AuditLogOptions) {
    this.logger = options.logger ?? pino({ enabled: false });
    this.window = new AuditWindow(options.window ?? DEFAULT_AUDIT_WINDOW);
    if (options.path !== undefined) this.load(options.path);
    this.file = options.path === undefined ? undefined : new AuditFile(options.path, this.logger, options);
  }

  record(entry: AuditEntry): void {
    try {
      if (entry.action === 'login.failed' && !this.failures.allow(entry.address ?? '')) return;
      const clean = withoutEmpty(entry);
      this.window.add(clean);
      this.file?.append(`${JSON.stringify(clean)}\n`);
    } catch (err) {
      this.logger.error({ err, action: entry.action }, 'audit log: entry not recorded');
    }
  }

  /** A request made with a token: one `token.use` entry per token and minute. */
  tokenUsed(entry: Omit<AuditEntry, 'action' | 'outcome' | 'durationMs' | 'time'> & { token: string }): void {
    const now = Date.now();
    const last = this.tokenSeen.get(entry.token);
    if (last !== undefined && now - last < TOKEN_USE_INTERVAL_MS) return;
    if (this.tokenSeen.size > 10_000) {
      for (const [token, seen] of this.tokenSeen) if (now - seen >= TOKEN_USE_INTERVAL_MS) this.tokenSeen.delete(token);
    }
    this.tokenSeen.set(entry.token, now);
    this.record({ ...entry, time: new Date(now).toISOString(), action: 'token.use', outcome: 'ok', durationMs: 0 });
  }

  /** Every entry the query selects (no scope: callers filter with `visible`). */
  query(query: AuditQuery, visible?: (entry: AuditEntry) => boolean): AuditPage {
    return this.window.query(checkQuery(query), visible);
  }

  /** Writes to a new file from here on (SIGHUP, after rotation); `path` when the config named another. */
  reopen(path: string | undefined = this.file?.file): void {
    if (path === undefined) {
      this.file?.close();
      this.file = undefined;
      return;
    }
    if (this.file) this.file.reopen(path);
    else this.file = new AuditFile(path, this.logger, this.options);
  }

  /** `login.failed` entries not recorded: past FAILED_LOGINS_PER_MINUTE from one address. */
  get suppressedFailures(): number {
    return this.failures.suppressed;
  }

  /** Entries the disk did not take. */
  get droppedLines(): number {
    return this.file?.droppedLines ?? 0;
  }

  close(): void {
    this.file?.close();
  }

  private load(path: string): void {
    let loaded = 0;
    let skipped = 0;
    try {
      for (const line of readTail(path, this.window.capacity * TAIL_BYTES_PER_ENTRY)) {
        const entry = parseEntry(line);
        if (entry) {
          this.window.add(entry);
          loaded++;
        } else skipped++;
      }
    } catch (err) {
      this.logger.warn({ err, file: path }, 'audit log: its earlier entries could not be read');
      return;
    }
    if (loaded > 0 || skipped > 0) this.logger.info({ file: path, loaded, skipped }, 'audit log: earlier entries read');
  }
}

function withoutEmpty(entry: AuditEntry): AuditEntry {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) if (value !== undefined && value !== '') copy[key] = value;
  return Object.freeze(copy) as unknown as AuditEntry;
}

function parseEntry(line: string): AuditEntry | undefined {
  try {
    const value = JSON.parse(line) as Partial<AuditEntry> | null;
    if (!value || typeof value !== 'object' || typeof value.time !== 'string' || !isAuditAction(value.action)) return undefined;
    if (Number.isNaN(Date.parse(value.time))) return undefined;
    return Object.freeze(value as AuditEntry);
  } catch {
    return undefined;
  }
}
