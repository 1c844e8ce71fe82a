import { pino, type Logger, type DestinationStream } from 'pino';
import type { LogLevel } from '../app/cli/args.js';

export type { Logger };

/** Structured JSON logs, one object a line. `panic` (a Go level vmango 0.6 had) maps to `fatal`. */
export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  const pinoLevel = level === 'panic' ? 'fatal' : level;
  return pino({ level: pinoLevel, base: { app: 'vmango' } }, destination ?? pino.destination({ sync: false }));
}
