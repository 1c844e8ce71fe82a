import { Writable } from 'node:stream';
import { createLogger, type Logger, type LogLevel } from '../../server/core/log.js';

/** A real logger whose JSON lines are parsed into `lines` for assertions. */
export function capturedLogger(level: LogLevel = 'info'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger(level, sink), lines };
}

/** A real logger that writes nothing below `error`, and those nowhere. */
export function silentLogger(): Logger {
  return createLogger('error', new Writable({ write: (_c, _e, done) => done() }));
}
