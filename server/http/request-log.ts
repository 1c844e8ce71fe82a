import type { RequestHandler } from 'express';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../core/log.js';

/** One structured log line per request, written when the response is finished (or aborted). */
export function requestLog(logger: Logger, clientAddress: (req: IncomingMessage) => string): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    let logged = false;
    const write = (): void => {
      if (logged) return;
      logged = true;
      const latencyMs = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info(
        {
          method: req.method,
          path: req.originalUrl.split('?')[0],
          status: res.headersSent ? res.statusCode : 499,
          latencyMs: Math.round(latencyMs * 1000) / 1000,
          remote: clientAddress(req),
        },
        'request',
      );
    };
    res.once('finish', write);
    res.once('close', write);
    next();
  };
}
