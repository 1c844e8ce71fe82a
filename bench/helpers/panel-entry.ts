// Fallback panel entry for the benchmarks while dist/ (bin/vmango.js) does not serve the REST API
// yet: the same layers startPanel wires (config, connection manager, machine service, API router,
// app), started on one config file. Usage: node --import tsx bench/helpers/panel-entry.ts CONFIG
import { loadConfig } from '../../server/config/index.js';
import { createApp } from '../../server/http/app.js';
import { createApiRouter } from '../../server/http/api/router.js';
import { closeOnSignals, listen } from '../../server/http/server.js';
import { ConnectionManager } from '../../server/hypervisors/connection-manager.js';
import { openConnection, type Connection } from '../../server/libvirt/index.js';
import { createLogger } from '../../server/core/log.js';
import { createMachineService } from '../../server/services/machines/service.js';

const configPath = process.argv[2];
if (!configPath) throw new Error('usage: panel-entry.ts CONFIG');
const config = loadConfig(configPath);
const logger = createLogger('info');
const hypervisors = new ConnectionManager<Connection>(config.hypervisors, { open: openConnection, logger });
hypervisors.start();
const service = createMachineService({ config, hypervisors, logger });
const app = createApp({
  logger,
  trustedProxies: config.trustedProxies,
  staticCacheSeconds: config.staticCacheSeconds,
  routers: [createApiRouter({ service, config, logger })],
  health: () => ({ hypervisors: hypervisors.statuses().map(({ name, state, since }) => ({ name, state, since })) }),
});
const server = await listen(app, { host: config.listen.host, port: config.listen.port, tls: config.tls });
logger.info({ address: `${server.address.host}:${server.address.port}` }, 'starting server (bench wiring)');
closeOnSignals(server, logger, async () => {
  await service.close();
  await hypervisors.close();
  logger.flush();
  process.exit(0);
});
