import type { Config } from '../config/index.js';
import type { LogLevel } from './cli/args.js';
import { createLogger, type Logger } from '../core/log.js';
import { createApp } from '../http/app.js';
import { createApiRouter } from '../http/api/router.js';
import { createPagesRouter } from '../http/pages/index.js';
import { closeOnSignals, listen, type RunningServer } from '../http/server.js';
import { ConnectionManager } from '../hypervisors/connection-manager.js';
import { openConnection, trimNativeMemory, tuneNativeMalloc, type Connection } from '../libvirt/index.js';
import type { MachineService } from '../core/services.js';
import { createMachineService } from '../services/machines/service.js';
import { VERSION } from '../core/version.js';

export interface Panel {
  server: RunningServer;
  logger: Logger;
  hypervisors: ConnectionManager<Connection>;
  machines: MachineService;
  /** Resolves with the exit code once the panel has shut down after a signal. */
  closed: Promise<number>;
}

/** Wires the layers together for one config and starts serving. */
export async function startPanel(config: Config, options: { logLevel: LogLevel }): Promise<Panel> {
  const logger = createLogger(options.logLevel);
  // Before libvirt's threads start: they (and the listings' helper threads) share two malloc arenas,
  // and no arena keeps more than 128 KiB (glibc's starting thresholds) of freed memory at its top.
  tuneNativeMalloc({ maxArenas: 2, thresholdBytes: 128 * 1024 });
  const hypervisors = new ConnectionManager<Connection>(config.hypervisors, { open: openConnection, logger });
  hypervisors.start();
  const machines = createMachineService({ config, hypervisors, logger });
  const app = createApp({
    logger,
    routers: [
      createApiRouter({ service: machines, config, logger }),
      createPagesRouter({ service: machines, hypervisors, config, logger }),
    ],
    trustedProxies: config.trustedProxies,
    staticCacheSeconds: config.staticCacheSeconds,
    health: () => ({ hypervisors: hypervisors.statuses().map(({ name, state, since }) => ({ name, state, since })) }),
  });
  const server = await listen(app, { host: config.listen.host, port: config.listen.port, tls: config.tls });
  // Starting leaves freed memory resident in threads' arenas (the config parser's worker, V8's
  // compiler threads): give it back once, as the machine lists do after each refresh.
  trimNativeMemory();
  logger.info(
    { version: VERSION, address: `${server.address.host}:${server.address.port}`, tls: Boolean(config.tls), debug: config.debug },
    'starting server',
  );
  const closed = new Promise<number>((resolveClosed) => {
    closeOnSignals(server, logger, async () => {
      await machines.close();
      await hypervisors.close();
      logger.info('stopped');
      logger.flush();
      resolveClosed(0);
    });
  });
  return { server, logger, hypervisors, machines, closed };
}
