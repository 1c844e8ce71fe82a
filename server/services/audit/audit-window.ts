/**
 * The most recent audit entries in memory, and the queries over them: newest first, filtered,
 * paged with an opaque cursor (the sequence number of the last entry given, valid within one run).
 */
import { AUDIT_ACTIONS, isAuditAction, type AuditEntry, type AuditPage, type AuditQuery } from '../../core/audit.js';
import { ServiceError } from '../../core/service-error.js';

/** Entries kept for queries: about 4 MB of memory, days of a busy team's changes. */
export const DEFAULT_AUDIT_WINDOW = 10_000;
export const DEFAULT_QUERY_LIMIT = 100;
export const MAX_QUERY_LIMIT = 500;

interface Kept {
  seq: number;
  timeMs: number;
  entry: AuditEntry;
}

/** A checked query: the times as milliseconds, the limit capped, the cursor as a sequence number. */
export interface CheckedQuery {
  user?: string;
  provider?: string;
  machine?: string;
  action?: AuditQuery['action'];
  sinceMs?: number;
  untilMs?: number;
  limit: number;
  before?: number;
}

export class AuditWindow {
  /** A ring: `start` is the oldest kept entry once the ring is full. */
  private readonly ring: Kept[] = [];
  private start = 0;
  private seq = 0;

  constructor(readonly capacity = DEFAULT_AUDIT_WINDOW) {}

  get size(): number {
    return this.ring.length;
  }

  add(entry: AuditEntry): void {
    const kept: Kept = { seq: ++this.seq, timeMs: Date.parse(entry.time), entry };
    if (this.ring.length < this.capacity) {
      this.ring.push(kept);
      return;
    }
    this.ring[this.start] = kept;
    this.start = (this.start + 1) % this.capacity;
  }

  /** Newest first; `visible` decides, per entry, whether the asker may see it. */
  query(query: CheckedQuery, visible: (entry: AuditEntry) => boolean = () => true): AuditPage {
    const found: Kept[] = [];
    for (let i = this.ring.length - 1; i >= 0; i--) {
      const kept = this.ring[(this.start + i) % this.ring.length]!;
      if (query.before !== undefined && kept.seq >= query.before) continue;
      if (!matches(kept, query) || !visible(kept.entry)) continue;
      // One more than the page holds says there is a next page; it starts after the page's last.
      if (found.length === query.limit) return { entries: found.map((k) => k.entry), next: cursorOf(found.at(-1)!.seq) };
      found.push(kept);
    }
    return { entries: found.map((k) => k.entry) };
  }
}

function matches(kept: Kept, query: CheckedQuery): boolean {
  const { entry } = kept;
  if (query.sinceMs !== undefined && !(kept.timeMs >= query.sinceMs)) return false;
  if (query.untilMs !== undefined && !(kept.timeMs <= query.untilMs)) return false;
  if (query.action !== undefined && entry.action !== query.action) return false;
  if (query.user !== undefined && entry.user !== query.user && entry.token !== query.user) return false;
  if (query.provider !== undefined && entry.provider !== query.provider) return false;
  if (query.machine !== undefined && entry.machine !== query.machine && entry.machineName !== query.machine) return false;
  return true;
}

function cursorOf(seq: number): string {
  return Buffer.from(`a${seq}`, 'utf8').toString('base64url');
}

function cursorSeq(cursor: string): number | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^a([1-9]\d{0,15})$/.exec(text);
  return match ? Number(match[1]) : undefined;
}

function bad(field: string, message: string): ServiceError {
  return new ServiceError('bad-request', `${field}: ${message}`);
}

function time(field: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  // ISO 8601 with a date, and a time with a zone when there is a time: 2026-05-01, 2026-05-01T12:00:00Z.
  const ms = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value)
    ? Date.parse(value)
    : Number.NaN;
  if (Number.isNaN(ms)) throw bad(field, `'${value.slice(0, 40)}' is not an ISO 8601 time such as 2026-05-01T12:00:00Z`);
  return ms;
}

/** Checks a query's values; a bad one is a 'bad-request' naming it and what is allowed. */
export function checkQuery(query: AuditQuery): CheckedQuery {
  const checked: CheckedQuery = { limit: DEFAULT_QUERY_LIMIT };
  if (query.action !== undefined) {
    if (!isAuditAction(query.action))
      throw bad('action', `'${String(query.action).slice(0, 40)}' is not an audited action; one of ${AUDIT_ACTIONS.join(', ')}`);
    checked.action = query.action;
  }
  for (const field of ['user', 'provider', 'machine'] as const) {
    const value = query[field];
    if (value === undefined) continue;
    if (value === '' || value.length > 200) throw bad(field, 'must be 1 to 200 characters');
    checked[field] = value;
  }
  const sinceMs = time('since', query.since);
  const untilMs = time('until', query.until);
  if (sinceMs !== undefined) checked.sinceMs = sinceMs;
  if (untilMs !== undefined) checked.untilMs = untilMs;
  if (query.limit !== undefined) {
    if (!Number.isInteger(query.limit) || query.limit < 1)
      throw bad('limit', `must be a whole number from 1 to ${MAX_QUERY_LIMIT}`);
    checked.limit = Math.min(query.limit, MAX_QUERY_LIMIT);
  }
  if (query.cursor !== undefined) {
    const before = cursorSeq(query.cursor);
    if (before === undefined) throw bad('cursor', "not a cursor this panel gave (pass a page's Next as it is)");
    checked.before = before;
  }
  return checked;
}
