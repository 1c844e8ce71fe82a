/**
 * The composition root: the one place that wires the layers together for a config. The vmango
 * command, every test fixture and every benchmark build the panel here, so what they exercise is
 * what runs.
 */
import type { Express } from 'express';
import { ConfigError, loadConfig, releaseHclParser, type Config } from '../config/index.js';
import { createLogger, type Logger, type LogLevel } from '../core/log.js';
import { VERSION } from '../core/version.js';
import { createApp } from '../http/app.js';
import { clientAddressResolver, secureRequestCheck } from '../http/client-address.js';
import { healthReport } from '../http/health.js';
import { allowedHostSet } from '../http/host-check.js';
import { createApiRouter } from '../http/api/router.js';
import { createPagesRouter, type PagesOptions } from '../http/pages/index.js';
import { closeOnSignals, listen, type RunningServer, type ServerLimits } from '../http/server.js';
import { ConnectionManager, type ConnectionManagerOptions } from '../hypervisors/connection-manager.js';
import { openConnection, trimNativeMemory, tuneNativeMalloc, type Connection } from '../libvirt/index.js';
import type { CredentialCache, CredentialCacheOptions } from '../services/auth/credential-cache.js';
import { EndedSessions } from '../services/auth/ended-sessions.js';
import { LoginGuard, type LoginLimits } from '../services/auth/login-guard.js';
import { ApiAuthenticator } from '../services/auth/api-authenticator.js';
import { TokenVerifier } from '../services/auth/api-tokens.js';
import { createMachineService, type MachineServiceDeps, type MachineServiceHandle } from '../services/machines/service.js';
import { createConsoleService, type ConsoleServiceHandle } from '../services/consoles/console-service.js';
import { createSnapshotService } from '../services/snapshots/snapshot-service.js';
import { createResizeService } from '../services/resize/resize-service.js';
import { createGuestService } from '../services/guest/guest-service.js';
import { createAccessControl, type AccessControlHandle } from '../services/access/scoped-services.js';
import type { SnapshotService } from '../core/snapshots.js';
import type { AuditEntry } from '../core/audit.js';
import { ConsoleSockets, type ConsoleSocketLimits } from '../http/live/console-sockets.js';
import { EventJournal } from '../services/events/event-journal.js';
import { EventStreams, type StreamLimits } from '../http/live/event-stream.js';
import { WebhookService, type WebhookTuning } from '../services/webhooks/webhook-service.js';
import { eventJson } from '../http/api/event-json.js';
import { AuditLog, type AuditLogOptions } from '../services/audit/audit-log.js';

export interface PanelOptions {
  /** Default: JSON lines on stdout at `logLevel` (default info). */
  logger?: Logger;
  logLevel?: LogLevel;
  /** Connection manager tuning (tests shorten or lengthen the reconnect backoff). */
  connections?: Partial<Omit<ConnectionManagerOptions<Connection>, 'logger'>>;
  machines?: Pick<MachineServiceDeps, 'clock' | 'resyncIntervalMs' | 'createHooks' | 'sweepIntervalMs'>;
  auth?: { cache?: CredentialCache | CredentialCacheOptions; limits?: LoginLimits };
  /** Console tuning: tests shorten the ticket lifetime and the timeouts. */
  consoles?: { ticketLifetimeMs?: number; limits?: Partial<ConsoleSocketLimits>; maxOpen?: number };
  /** The event journal's replay window (DEFAULT_REPLAY_WINDOW), the streams' limits, webhook tuning. */
  events?: { replayWindow?: number; limits?: Partial<StreamLimits>; webhooks?: Partial<WebhookTuning> };
  /** The dashboard's tuning, or false to serve the API only. */
  pages?: PagesOptions | false;
  /** Where to listen instead of the config's `listen` (tests use port 0). */
  listen?: { host: string; port: number };
  /** The web server's timeouts and connection limit (defaults: DEFAULT_SERVER_LIMITS). */
  serverLimits?: Partial<ServerLimits>;
  /** Shut down on SIGTERM/SIGINT (the vmango command); tests close the panel themselves. */
  handleSignals?: boolean;
  /** The audit log's tuning: tests shrink the bound of what waits for the disk. */
  audit?: Pick<AuditLogOptions, 'maxPendingBytes' | 'window'>;
  /** Tune and trim glibc's malloc for a long-running process (the vmango command). */
  tuneMemory?: boolean;
}

export interface Panel {
  config: Config;
  logger: Logger;
  hypervisors: ConnectionManager<Connection>;
  machines: MachineServiceHandle;
  consoles: ConsoleServiceHandle;
  snapshots: SnapshotService;
  /** The services as each user may use them (permissions, quotas). */
  access: AccessControlHandle;
  /** The console WebSockets: the web server's 'upgrade' listener. */
  consoleSockets: ConsoleSockets;
  /** Every change, numbered, for the event streams and webhooks. */
  events: EventJournal;
  /** /events/ and /api/events/: their limits and open count. */
  streams: EventStreams;
  webhooks: WebhookService;
  guard: LoginGuard;
  /** The audit log: its file (reopened at each reload) and the recent entries for queries. */
  audit: AuditLog;
  app: Express;
  /**
   * Applies a re-read config's users, roles, grants, quotas and tokens without a restart (open
   * consoles and event streams stay); says which other settings changed and need one.
   */
  reload(next: Config): ReloadResult;
  /** Re-reads the config file and reloads it; a file with problems changes nothing (they are logged). */
  reloadFromFile(): ReloadResult | undefined;
  /** Closes the services and the hypervisor connections (after the web server stopped). */
  closeServices(): Promise<void>;
}

export interface ReloadResult {
  users: number;
  roles: number;
  tokens: number;
  webhooks: number;
  /** Config keys that changed but apply only at the next start. */
  restartNeeded: string[];
}

/** Templates compare by their file paths (vmTemplatePath), not their parsed trees. */
function withoutTemplates(key: string, value: unknown): unknown {
  return key === 'vmTemplate' || key === 'volumeTemplate' ? undefined : value;
}

/** What a reload does not apply: the panel must be restarted for these. */
const RESTART_KEYS = [
  'listen',
  'sessionSecret',
  'trustedProxies',
  'allowedHosts',
  'tls',
  'stateDir',
  'hypervisors',
  'plans',
  'sshKeys',
  'sessionIdleTimeoutMs',
  'sessionLifetimeMs',
  'consoleIdleTimeoutMs',
  'staticCacheSeconds',
  'debug',
] as const satisfies readonly (keyof Config)[];

export interface RunningPanel extends Panel {
  server: RunningServer;
  /** `http(s)://host:port` of the bound address. */
  base: string;
  /** Stops serving (requests in flight finish), then closes the services and connections. */
  close(): Promise<void>;
  /** Resolves with the exit code once the panel has shut down (after a signal or close()). */
  closed: Promise<number>;
}

function reloadEntry(outcome: 'ok' | 'failed', detail: Record<string, number>, error?: string): AuditEntry {
  return {
    time: new Date().toISOString(),
    action: 'config.reload',
    outcome,
    durationMs: 0,
    detail,
    ...(error === undefined ? {} : { error }),
  };
}

/** Wires the panel for `config` without connecting to anything or listening. */
export function buildPanel(config: Config, options: PanelOptions = {}): Panel {
  const logger = options.logger ?? createLogger(options.logLevel ?? 'info');
  const hypervisors = new ConnectionManager<Connection>(config.hypervisors, {
    open: openConnection,
    ...options.connections,
    logger,
  });
  const audit = new AuditLog({ ...options.audit, path: config.auditLog, logger });
  const machines = createMachineService({ config, hypervisors, logger, ...options.machines });
  const guard = new LoginGuard({ users: config.users, cache: options.auth?.cache, limits: options.auth?.limits });
  const tokens = new TokenVerifier(config.tokens);
  const authenticator = new ApiAuthenticator(guard, tokens);
  const ended = new EndedSessions({ stateDir: config.stateDir, logger });
  const consoles = createConsoleService({
    config,
    hypervisors,
    machines,
    logger,
    ticketLifetimeMs: options.consoles?.ticketLifetimeMs,
    maxOpen: options.consoles?.maxOpen,
  });
  const allowedHosts = allowedHostSet(config.allowedHosts, options.listen?.host ?? config.listen.host);
  const consoleSockets = new ConsoleSockets({
    consoles,
    machines,
    authenticator,
    ended,
    logger,
    audit,
    policy: { config, ended },
    allowedHosts,
    secure: secureRequestCheck(config.trustedProxies),
    clientAddress: clientAddressResolver(config.trustedProxies),
    limits: { idleTimeoutMs: config.consoleIdleTimeoutMs, ...options.consoles?.limits },
  });
  const snapshots = createSnapshotService({ machines, logger });
  const resize = createResizeService({ config, machines, logger });
  const events = new EventJournal(machines, logger, { windowSize: options.events?.replayWindow });
  const webhooks = new WebhookService({
    feed: events,
    audit,
    logger,
    render: (event) => JSON.stringify(eventJson(event)),
    webhooks: config.webhooks,
    tuning: options.events?.webhooks,
  });
  const streams = new EventStreams({
    ...(options.pages ? options.pages.stream : {}),
    ...options.events?.limits,
  });
  const guest = createGuestService({ machines, logger });
  const access = createAccessControl({ config, machines, snapshots, resize, guest, consoles, events, audit });
  const routers = [createApiRouter({ access, config, authenticator, tokens, logger, streams, audit })];
  if (options.pages !== false)
    routers.push(createPagesRouter({ access, config, guard, ended, logger, streams, audit, options: options.pages }));
  const app = createApp({
    logger,
    routers,
    trustedProxies: config.trustedProxies,
    staticCacheSeconds: config.staticCacheSeconds,
    health: healthReport({ service: machines, guard, clientAddress: clientAddressResolver(config.trustedProxies) }),
    allowedHosts,
    hsts: Boolean(config.tls),
  });
  const closeServices = async (): Promise<void> => {
    consoleSockets.close();
    consoles.close();
    webhooks.close();
    events.close();
    await machines.close();
    await hypervisors.close();
    guard.close();
    ended.close();
    audit.close();
  };
  const reload = (next: Config): ReloadResult => {
    const same = (a: unknown, b: unknown): boolean => JSON.stringify(a, withoutTemplates) === JSON.stringify(b, withoutTemplates);
    const restartNeeded = RESTART_KEYS.filter((key) => !same(next[key], config[key]));
    // The config object is shared by every layer (sessions read its users): the reloadable parts
    // are swapped in place, everything that holds them is told.
    config.users = next.users;
    config.roles = next.roles;
    config.tokens = next.tokens;
    config.webhooks = next.webhooks;
    guard.replaceUsers(next.users);
    tokens.replace(next.tokens);
    access.reload(config);
    webhooks.replace(next.webhooks);
    if (next.auditLog !== config.auditLog) {
      config.auditLog = next.auditLog;
      audit.reopen(next.auditLog);
    }
    const result = {
      users: next.users.length,
      roles: next.roles.length,
      tokens: next.tokens.length,
      webhooks: next.webhooks.length,
      restartNeeded,
    };
    audit.record(
      reloadEntry('ok', { users: result.users, roles: result.roles, tokens: result.tokens, webhooks: result.webhooks }),
    );
    return result;
  };
  const reloadFromFile = (): ReloadResult | undefined => {
    // A reload signal is also logrotate's: the audit log starts a new file at its path.
    audit.reopen();
    let next: Config;
    try {
      next = loadConfig(config.path);
    } catch (err) {
      if (!(err instanceof ConfigError)) {
        audit.record(reloadEntry('failed', {}, 'internal error (see the panel log)'));
        throw err;
      }
      audit.record(
        reloadEntry('failed', { problems: err.problems.length }, 'the config file has problems; the running config stays'),
      );
      logger.error(
        { file: config.path, problems: err.problems },
        'config not reloaded: the file has problems; the running config stays',
      );
      return undefined;
    } finally {
      void releaseHclParser();
    }
    const result = reload(next);
    logger.info({ file: config.path, ...result }, 'config reloaded');
    if (result.restartNeeded.length > 0)
      logger.warn({ keys: result.restartNeeded }, 'config reload: these settings changed and apply only after a restart');
    return result;
  };
  return {
    config,
    logger,
    hypervisors,
    machines,
    consoles,
    snapshots,
    access,
    consoleSockets,
    events,
    streams,
    webhooks,
    guard,
    audit,
    app,
    reload,
    reloadFromFile,
    closeServices,
  };
}

/** Builds the panel, starts connecting to every hypervisor and serves. */
export async function startPanel(config: Config, options: PanelOptions = {}): Promise<RunningPanel> {
  // Before libvirt's threads start: they (and the listings' helper threads) share two malloc arenas,
  // and no arena keeps more than 128 KiB (glibc's starting thresholds) of freed memory at its top.
  if (options.tuneMemory) tuneNativeMalloc({ maxArenas: 2, thresholdBytes: 128 * 1024 });
  const panel = buildPanel(config, options);
  const { logger, hypervisors } = panel;
  hypervisors.start();
  const address = options.listen ?? config.listen;
  let server: RunningServer;
  try {
    server = await listen(panel.app, {
      host: address.host,
      port: address.port,
      tls: config.tls,
      limits: options.serverLimits,
      onUpgrade: panel.consoleSockets.handleUpgrade,
    });
  } catch (err) {
    await panel.closeServices();
    throw err;
  }
  // Starting leaves freed memory resident in threads' arenas (the config parser's worker, V8's
  // compiler threads): give it back once, as the machine lists do after each refresh.
  if (options.tuneMemory) trimNativeMemory();
  logger.info(
    { version: VERSION, address: `${server.address.host}:${server.address.port}`, tls: Boolean(config.tls), debug: config.debug },
    'starting server',
  );

  let resolveClosed!: (code: number) => void;
  const closed = new Promise<number>((resolve) => (resolveClosed = resolve));
  let closing: Promise<void> | undefined;
  const shutDown = (serverClosed: Promise<void>): Promise<void> => {
    closing ??= serverClosed.then(async () => {
      await panel.closeServices();
      logger.info('stopped');
      logger.flush();
      resolveClosed(0);
    });
    return closing;
  };
  if (options.handleSignals) {
    // SIGHUP: users, roles, grants, quotas and tokens from the file again (open consoles and streams stay).
    const onHangUp = (): void => {
      try {
        panel.reloadFromFile();
      } catch (err) {
        logger.error({ err }, 'config reload failed');
      }
    };
    process.on('SIGHUP', onHangUp);
    void closed.then(() => process.off('SIGHUP', onHangUp));
  }
  if (options.handleSignals)
    closeOnSignals(
      server,
      logger,
      () => shutDown(Promise.resolve()),
      () => panel.consoleSockets.close(),
    );
  const host = server.address.host.includes(':') ? `[${server.address.host}]` : server.address.host;
  return {
    ...panel,
    server,
    base: `${config.tls ? 'https' : 'http'}://${host}:${server.address.port}`,
    close: () => {
      // Consoles never finish by themselves: end them so the server can close.
      panel.consoleSockets.close();
      return shutDown(server.close(100));
    },
    closed,
  };
}
