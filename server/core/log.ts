import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** The `-loglevel` values: vmango 0.6's (Go's logrus) levels. */
export const LOG_LEVELS = ['panic', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Structured JSON logs, one object a line. `panic` (a Go level vmango 0.6 had) maps to `fatal`. */
export function createLogger(level: LogLevel = 'info', destination?: DestinationStream): Logger {
  const pinoLevel = level === 'panic' ? 'fatal' : level;
  return pino({ level: pinoLevel, base: { app: 'vmango' } }, destination ?? pino.destination({ sync: false }));
}
