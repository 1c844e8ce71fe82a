/**
 * The machine and image services on real hypervisors: the MachineService contract
 * (server/core/services.ts) over the connection manager's live libvirt connections.
 */
import type { MachineAction, PowerMethod } from '../../core/actions.js';
import { isTag, TAG_RULE, type MachineProperties, type PropertiesChange } from '../../core/machine-properties.js';
import type { Logger } from '../../core/log.js';
import { isMachineState, MACHINE_STATES, type Image, type Machine } from '../../core/machine.js';
import type { ProviderAvailability, ProviderSummary } from '../../core/provider.js';
import type { CloneMachineRequest, CreateMachineRequest, MachineFilter, RebuildMachineRequest } from '../../core/requests.js';
import { ServiceError } from '../../core/service-error.js';
import type {
  ImageListResult,
  MachineListResult,
  MachineListSnapshot,
  MachineService,
  PanelEventListener,
  StateChange,
} from '../../core/services.js';
import type { Config, HypervisorConfig } from '../../config/index.js';
import type { ConnectionManager } from '../../hypervisors/connection-manager.js';
import { ProviderAccess } from '../../hypervisors/provider-access.js';
import { toServiceError } from '../../hypervisors/provider-errors.js';
import { providerSummary } from '../../hypervisors/provider-status.js';
import { trimNativeMemory, type Connection, type Domain } from '../../libvirt/index.js';
import { availabilityOf, MachineEvents } from '../events/machine-events.js';
import { listImages as listImagesOn } from '../images/image-service.js';
import { MachineCache } from './cache/machine-cache.js';
import { readMachine } from './cache/read-machine.js';
import { createMachine, machineLockKey, staleMarkMs, type CreateHooks } from './create/create-machine.js';
import { sweepHypervisor, type SweepReport } from './sweeper.js';
import { checkCloneName, Cloning } from './clone/clone-machine.js';
import { checkRebuildRequest, Rebuild } from './rebuild/rebuild-machine.js';
import { nameConflict, queuedBuild, type CreateContext } from './create/machine-build.js';
import { assertMachineId, lookupDomain } from './lookup-domain.js';
import { changeProperties, checkPropertiesChange } from './properties-service.js';
import { KeyedMutex } from './keyed-lock.js';
import { WorkQueue } from './work-queue.js';
import { deleteDomain } from './delete-service.js';
import { assertActionAllowed, performAction } from './state-service.js';

export interface MachineServiceDeps {
  config: Config;
  hypervisors: ConnectionManager<Connection>;
  logger: Logger;
  clock?: () => Date;
  /** Interval of the full resync of every machine list (default 30 s). */
  resyncIntervalMs?: number;
  /** Runs after each step of a create; tests use it to inject real faults between steps. */
  createHooks?: CreateHooks;
  /** How often each connected hypervisor is swept for what interrupted creates left (default 10 min); 0: never. */
  sweepIntervalMs?: number;
}

/** The service, and what the composition root and tests do beside the contract. */
/** What an operation on one machine gets (MachineServiceHandle.changeMachine). */
export interface MachineWork {
  conn: Connection;
  hv: HypervisorConfig;
  domain: Domain;
  /** The machine as it is now, read fresh. */
  read(): Promise<Machine>;
}

export interface MachineServiceHandle extends MachineService {
  /**
   * Runs an operation on one machine as the service's own changes run: refused while the panel
   * closes, waited for at close, one at a time per machine, on a connected hypervisor, the list
   * cache refreshed after. For the services beside this one (snapshots, …).
   */
  changeMachine<T>(provider: string, id: string, doing: string, work: (machine: MachineWork) => Promise<T>): Promise<T>;
  /** Reads an operation on one machine needs without a lock (lists of snapshots, …). */
  readMachine<T>(provider: string, id: string, doing: string, work: (machine: MachineWork) => Promise<T>): Promise<T>;
  /** Sweeps one hypervisor now (sweeper.ts); staleAfterMs overrides how old a create mark must be. */
  sweep(provider: string, options?: { staleAfterMs?: number }): Promise<SweepReport>;
  close(): Promise<void>;
}

const PROVIDER_FACT_TIMEOUT_MS = 3_000;
/** Creates this panel runs against one hypervisor at once, and how many may wait for a turn. */
const CREATES_AT_ONCE = 4;
const CREATES_WAITING = 200;

function matchesQuery(machine: Machine, q: string): boolean {
  const needle = q.toLowerCase();
  return [
    machine.name,
    machine.ip?.address ?? '',
    machine.imageId,
    machine.plan,
    machine.creator,
    machine.properties.label?.name ?? '',
    ...machine.properties.tags,
  ].some((field) => field.toLowerCase().includes(needle));
}

export function createMachineService(deps: MachineServiceDeps): MachineServiceHandle {
  const { config, hypervisors: manager, logger } = deps;
  const clock = deps.clock ?? (() => new Date());
  const access = new ProviderAccess(config.hypervisors, manager);
  const machineLocks = new KeyedMutex();
  const createQueue = new WorkQueue(CREATES_AT_ONCE, CREATES_WAITING);
  const networkLocks = new KeyedMutex();
  const transferLocks = new KeyedMutex();
  /** Changes in flight: close() lets them finish (or roll back) before the connections go. */
  const inFlight = new Set<Promise<unknown>>();
  let closing = false;
  function tracked<T>(work: Promise<T>): Promise<T> {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work)).catch(() => undefined);
    return work;
  }
  function refuseWhileClosing(): void {
    if (closing)
      throw new ServiceError('unavailable', 'the panel is shutting down; try again in a moment', { retryAfterSeconds: 5 });
  }

  /**
   * Runs `work` on a machine under its lock. The machine is found by id first (for its name, the
   * lock's key), then again under the lock: a delete that went first leaves it not found.
   */
  async function onMachine<T>(
    provider: string,
    id: string,
    doing: string,
    work: (conn: Connection, hv: HypervisorConfig, domain: Domain) => Promise<T>,
  ): Promise<T> {
    machineRef(provider, id);
    const name = await access.run(provider, doing, async (conn, hv) => (await lookup(conn, hv, id)).name);
    return machineLocks.run(machineLockKey(provider, name), () =>
      access.run(provider, doing, async (conn, hv) => work(conn, hv, await lookup(conn, hv, id))),
    );
  }

  const caches = new Map<string, MachineCache>();
  for (const hv of config.hypervisors) {
    caches.set(
      hv.name,
      new MachineCache({
        hv,
        logger,
        clock,
        connection: () => manager.get(hv.name),
        onFailure: (conn, err) => access.noteFailure(hv.name, conn, err),
        // A bulk read leaves its buffers' memory resident in threads' arenas: give it back.
        afterRefresh: trimNativeMemory,
      }),
    );
  }
  const cacheOf = (name: string): MachineCache => caches.get(name)!;

  const onDomainEvent = (name: string): void => caches.get(name)?.onDomainEvent();
  const markFirstSeen = new Map<string, number>();
  const sweeping = new KeyedMutex();
  function sweep(provider: string, options: { staleAfterMs?: number; reportOrphans?: boolean } = {}): Promise<SweepReport> {
    return sweeping.run(provider, () =>
      access.run(provider, 'sweep leftovers', async (conn, hv) => {
        const report = await sweepHypervisor(conn, hv, {
          logger,
          isBusy: (name) => machineLocks.isHeld(machineLockKey(hv.name, name)),
          staleAfterMs: options.staleAfterMs ?? staleMarkMs(hv),
          firstSeen: markFirstSeen,
          ...(options.reportOrphans !== undefined ? { reportOrphans: options.reportOrphans } : {}),
        });
        if (report.removed.length > 0) cacheOf(provider).invalidate();
        return report;
      }),
    );
  }
  function sweepQuietly(provider: string, options: { reportOrphans: boolean }): void {
    if (closing || /^test:/i.test(access.config(provider).url)) return;
    sweep(provider, options).catch((err: unknown) =>
      logger.warn({ hypervisor: provider, error: (err as Error).message }, 'sweeper: could not sweep'),
    );
  }
  const sweepInterval = deps.sweepIntervalMs ?? 10 * 60_000;
  const sweepTimer =
    sweepInterval > 0
      ? setInterval(() => {
          for (const name of access.names()) {
            if (manager.status(name).state === 'connected') sweepQuietly(name, { reportOrphans: false });
          }
        }, sweepInterval)
      : undefined;
  sweepTimer?.unref();

  const onConnected = (name: string): void => {
    const cache = caches.get(name);
    cache?.resync();
    // After the first list: calls on one connection run one at a time, and the list comes first.
    if (sweepInterval > 0) {
      void (cache?.refresh() ?? Promise.resolve()).catch(() => undefined).then(() => sweepQuietly(name, { reportOrphans: true }));
    }
  };
  manager.on('domainEvent', onDomainEvent);
  manager.on('connected', onConnected);
  const resyncTimer = setInterval(() => {
    for (const [name, cache] of caches) if (manager.status(name).state === 'connected') cache.resync();
  }, deps.resyncIntervalMs ?? 30_000);
  resyncTimer.unref();

  function availability(name: string, error?: string): ProviderAvailability {
    const status = availabilityOf(manager.status(name));
    if (error !== undefined && status.state === 'connected') return { name, state: 'unavailable', error, since: clock() };
    return status;
  }

  /** Checks a machine reference before anything asks a hypervisor: the provider exists, the id can be one. */
  function machineRef(provider: string, id: string): HypervisorConfig {
    const hv = access.config(provider);
    assertMachineId(provider, id);
    return hv;
  }

  const lookup = (conn: Connection, hv: HypervisorConfig, id: string): Promise<Domain> => lookupDomain(conn, hv, id);

  function listFilter(filter: MachineFilter): MachineFilter {
    if (filter.provider !== undefined && !access.names().includes(filter.provider)) {
      const names = access.names();
      throw new ServiceError(
        'bad-request',
        `provider '${filter.provider.slice(0, 60)}' not found; the providers are ${names.join(', ') || '(none configured)'}`,
        { fields: ['provider'] },
      );
    }
    if (filter.state !== undefined && !isMachineState(filter.state)) {
      throw new ServiceError(
        'bad-request',
        `state "${filter.state.slice(0, 60)}" is not a machine state; use one of ${MACHINE_STATES.join(', ')}`,
        { fields: ['state'] },
      );
    }
    if (filter.tag !== undefined && !isTag(filter.tag)) {
      throw new ServiceError('bad-request', `tag "${String(filter.tag).slice(0, 60)}" is not a tag; ${TAG_RULE}`, {
        fields: ['tag'],
      });
    }
    return filter;
  }

  async function getMachine(provider: string, id: string): Promise<Machine> {
    machineRef(provider, id);
    return access.run(provider, 'fetch machine info', async (conn, hv) =>
      readMachine(conn, hv, await lookup(conn, hv, id), clock, { askAgent: true }),
    );
  }

  const events = new MachineEvents(manager, getMachine, logger, (provider, id) =>
    caches
      .get(provider)
      ?.peek()
      .machines.find((machine) => machine.id === id),
  );
  const buildContext: CreateContext = {
    config,
    access,
    logger,
    clock,
    machineLocks,
    createQueue,
    networkLocks,
    transferLocks,
    hooks: deps.createHooks,
  };

  return {
    async listMachines(filter: MachineFilter = {}): Promise<MachineListResult> {
      const { provider, state, q, tag } = listFilter(filter);
      const names = provider !== undefined ? [provider] : access.names();
      const lists = await Promise.all(names.map((name) => cacheOf(name).read()));
      const machines = new Map<string, MachineListSnapshot>();
      const providers: ProviderAvailability[] = [];
      names.forEach((name, i) => {
        const list = lists[i]!;
        // The cache's machines (and unfiltered, its array) are deeply frozen: shared, not copied.
        let found = list.machines;
        if (state !== undefined) found = Object.freeze(found.filter((m) => m.state === state));
        if (q) found = Object.freeze(found.filter((m) => matchesQuery(m, q)));
        if (tag !== undefined) found = Object.freeze(found.filter((m) => m.properties.tags.includes(tag)));
        machines.set(name, { machines: found, version: list.version });
        providers.push(availability(name, list.error));
      });
      return { machines, providers };
    },

    getMachine,

    async createMachine(request: CreateMachineRequest): Promise<Machine> {
      refuseWhileClosing();
      try {
        return await tracked(createMachine(buildContext, request));
      } finally {
        caches.get(request.provider)?.invalidate();
      }
    },

    async cloneMachine(request: CloneMachineRequest): Promise<Machine> {
      refuseWhileClosing();
      checkCloneName(request.name);
      try {
        return await tracked(
          onMachine(request.provider, request.id, 'clone machine', (conn, hv, domain) => {
            const key = machineLockKey(hv.name, request.name);
            // The source's own lock is held here: its name, or a name being built, is refused at once.
            if (request.name === domain.name) throw nameConflict(request.name, hv.name);
            if (machineLocks.isHeld(key))
              throw nameConflict(request.name, hv.name, ' (it is being created or changed right now)');
            return machineLocks.run(key, () =>
              queuedBuild(buildContext, hv.name, () => new Cloning(buildContext, { conn, hv, domain }, request).run()),
            );
          }),
        );
      } finally {
        caches.get(request.provider)?.invalidate();
      }
    },

    async rebuildMachine(request: RebuildMachineRequest): Promise<Machine> {
      refuseWhileClosing();
      checkRebuildRequest(request);
      try {
        return await tracked(
          onMachine(request.provider, request.id, 'rebuild machine', (conn, hv, domain) =>
            queuedBuild(buildContext, hv.name, () => new Rebuild(buildContext, { conn, hv, domain }, request).run()),
          ),
        );
      } finally {
        caches.get(request.provider)?.invalidate();
      }
    },

    async deleteMachine(provider: string, id: string): Promise<Machine> {
      refuseWhileClosing();
      return tracked(
        onMachine(provider, id, 'delete machine', async (conn, hv, domain) => {
          const before = await readMachine(conn, hv, domain, clock);
          try {
            await deleteDomain(conn, hv, domain, logger);
          } finally {
            cacheOf(provider).invalidate();
          }
          return before;
        }),
      );
    },

    async changeState(provider: string, id: string, action: MachineAction): Promise<StateChange> {
      refuseWhileClosing();
      return tracked(
        onMachine(provider, id, `${action} machine`, async (conn, hv, domain) => {
          const { state } = await domain.getState();
          assertActionAllowed(domain.name, state, action);
          let via: PowerMethod | undefined;
          try {
            via = await performAction(domain, action);
          } finally {
            cacheOf(provider).invalidate();
          }
          return { machine: await readMachine(conn, hv, domain, clock), ...(via ? { via } : {}) };
        }),
      );
    },

    async changeProperties(provider: string, id: string, change: PropertiesChange, by: string): Promise<Machine> {
      refuseWhileClosing();
      const checked = checkPropertiesChange(change);
      return tracked(
        onMachine(provider, id, 'change machine properties', async (conn, hv, domain) => {
          let properties: MachineProperties;
          try {
            properties = await changeProperties(domain, checked);
          } finally {
            cacheOf(provider).invalidate();
          }
          logger.info(
            {
              hypervisor: provider,
              machine: domain.name,
              user: by,
              tags: properties.tags,
              label: properties.label?.name,
              ...(checked.autostart !== undefined ? { autostart: checked.autostart } : {}),
            },
            'machine properties changed',
          );
          return readMachine(conn, hv, domain, clock);
        }),
      );
    },

    changeMachine<T>(provider: string, id: string, doing: string, work: (machine: MachineWork) => Promise<T>): Promise<T> {
      refuseWhileClosing();
      return tracked(
        onMachine(provider, id, doing, async (conn, hv, domain) => {
          try {
            return await work({ conn, hv, domain, read: () => readMachine(conn, hv, domain, clock) });
          } finally {
            cacheOf(provider).invalidate();
          }
        }),
      );
    },

    readMachine<T>(provider: string, id: string, doing: string, work: (machine: MachineWork) => Promise<T>): Promise<T> {
      machineRef(provider, id);
      return access.run(provider, doing, async (conn, hv) => {
        const domain = await lookup(conn, hv, id);
        return work({ conn, hv, domain, read: () => readMachine(conn, hv, domain, clock) });
      });
    },

    async listImages(): Promise<ImageListResult> {
      const names = access.names();
      const results = await Promise.all(
        names.map(async (name) => {
          try {
            return { images: await access.run(name, 'fetch images list', (conn, hv) => listImagesOn(conn, hv, logger)) };
          } catch (err) {
            const error = toServiceError(name, err, 'fetch images list').message;
            logger.warn({ hypervisor: name, error }, 'failed to list images');
            return { images: [] as Image[], error };
          }
        }),
      );
      const images = new Map<string, Image[]>();
      const providers: ProviderAvailability[] = [];
      names.forEach((name, i) => {
        images.set(name, results[i]!.images);
        providers.push(availability(name, results[i]!.error));
      });
      return { images, providers };
    },

    async providers(): Promise<ProviderSummary[]> {
      return Promise.all(
        access.names().map(async (name) => {
          const hv = access.config(name);
          const status = manager.status(name);
          let conn: Connection | undefined;
          try {
            conn = manager.get(name);
          } catch {
            conn = undefined;
          }
          const [list, summary] = await Promise.all([
            conn ? cacheOf(name).read() : Promise.resolve(cacheOf(name).peek()),
            providerSummary({ hv, status, conn, timeoutMs: Math.min(hv.callTimeoutMs, PROVIDER_FACT_TIMEOUT_MS) }),
          ]);
          if (list.fetchedAt) summary.machineCount = list.machines.length;
          // A list that missed its deadline flags the host as the list pages do, while the connection holds.
          const { state, error } = availability(name, list.error);
          return { ...summary, state, ...(error !== undefined ? { error } : {}) };
        }),
      );
    },

    providerStates(): ProviderAvailability[] {
      return manager.statuses().map(availabilityOf);
    },

    subscribe(listener: PanelEventListener): () => void {
      return events.subscribe(listener);
    },

    sweep,

    async close(): Promise<void> {
      closing = true;
      // Creates, deletes and actions under way finish or roll back while the connections remain.
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      clearInterval(resyncTimer);
      clearInterval(sweepTimer);
      events.close();
      manager.off('domainEvent', onDomainEvent);
      manager.off('connected', onConnected);
      for (const cache of caches.values()) cache.close();
    },
  };
}
