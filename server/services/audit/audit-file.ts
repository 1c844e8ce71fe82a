/**
 * The audit log file: JSON lines appended without ever waiting on the disk. Lines queue in the
 * write stream up to a bound; past it (a full, slow or blocked disk) a line is dropped, counted and
 * logged. reopen() starts a new file at the path (after logrotate moved the old one away).
 */
import { closeSync, createWriteStream, openSync, readSync, statSync, type WriteStream } from 'node:fs';
import type { Logger } from '../../core/log.js';

export interface AuditFileOptions {
  /** Bytes waiting for the disk beyond which lines are dropped (default 1 MiB). */
  maxPendingBytes?: number;
  /** How often at most a drop is logged (default 10 s); the count is in each message. */
  dropLogIntervalMs?: number;
}

export class AuditFile {
  private stream: WriteStream | undefined;
  private dropped = 0;
  private lastDropLog = 0;
  private droppedSinceLog = 0;
  private readonly maxPendingBytes: number;
  private readonly dropLogIntervalMs: number;
  private closed = false;
  private broken = false;

  constructor(
    private path: string,
    private readonly logger: Logger,
    options: AuditFileOptions = {},
  ) {
    this.maxPendingBytes = options.maxPendingBytes ?? 1024 * 1024;
    this.dropLogIntervalMs = options.dropLogIntervalMs ?? 10_000;
    this.open();
  }

  get file(): string {
    return this.path;
  }

  /** Lines dropped since the start because the disk did not keep up (or the file could not be written). */
  get droppedLines(): number {
    return this.dropped;
  }

  append(line: string): void {
    if (this.closed) return;
    const stream = this.broken ? undefined : (this.stream ?? this.open());
    if (!stream || stream.writableLength + line.length > this.maxPendingBytes) {
      this.drop();
      return;
    }
    stream.write(line);
  }

  /** Writes to a new file at the path (or another path) from here on; what was queued goes to the old one. */
  reopen(path = this.path): void {
    this.path = path;
    this.release(this.stream);
    this.stream = undefined;
    this.open();
  }

  close(): void {
    this.closed = true;
    this.release(this.stream);
    this.stream = undefined;
  }

  private open(): WriteStream | undefined {
    if (this.closed) return undefined;
    const stream = createWriteStream(this.path, { flags: 'a', encoding: 'utf8' });
    stream.on('error', (err) => {
      this.logger.error({ err, file: this.path }, 'audit log: the file cannot be written; lines are dropped until SIGHUP');
      if (this.stream === stream) this.stream = undefined;
      stream.destroy();
      // Reopened at the next SIGHUP, not per line: a broken disk is not retried a thousand times a second.
      this.broken = true;
    });
    this.stream = stream;
    this.broken = false;
    return stream;
  }

  private release(stream: WriteStream | undefined): void {
    if (!stream) return;
    // end() lets what is queued reach the file; a disk that never takes it must not hold the process.
    stream.end();
  }

  private drop(): void {
    this.dropped++;
    this.droppedSinceLog++;
    const now = Date.now();
    if (now - this.lastDropLog < this.dropLogIntervalMs) return;
    this.lastDropLog = now;
    this.logger.warn(
      { file: this.path, dropped: this.droppedSinceLog, droppedTotal: this.dropped },
      'audit log: the disk does not keep up; entries dropped (they stay in the panel for queries)',
    );
    this.droppedSinceLog = 0;
  }
}

/** The last `maxBytes` of a regular file as whole lines (nothing for a FIFO or a missing file). */
export function readTail(path: string, maxBytes: number): string[] {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return [];
    size = stat.size;
  } catch {
    return [];
  }
  const length = Math.min(size, maxBytes);
  const buffer = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buffer, 0, length, size - length);
  } finally {
    closeSync(fd);
  }
  const lines = buffer.toString('utf8').split('\n');
  if (length < size) lines.shift(); // the first line was cut
  return lines.filter((line) => line.trim() !== '');
}
