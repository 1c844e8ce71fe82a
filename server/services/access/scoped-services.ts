/**
 * The services as one principal may use them (ScopedServices in the service contract): the one place
 * permissions and quotas are enforced, for the API, the pages and the live stream alike.
 */
import type { Config } from '../../config/index.js';
import type { ConsoleHolder, ConsoleService, OpenConsoleRequest } from '../../core/consoles.js';
import { ownerOf, type PropertiesChange } from '../../core/machine-properties.js';
import type { Machine } from '../../core/machine.js';
import type { EventFeed, JournalEvent } from '../../core/events.js';
import { PERMISSIONS, type AccessTarget, type Permission } from '../../core/permissions.js';
import { can, canSomewhere, isUnrestricted, type Principal } from '../../core/principal.js';
import type { MachineAction } from '../../core/actions.js';
import type { ResizeRequest, ResizeResult, ResizeService } from '../../core/resize.js';
import type { GuestService } from '../../core/guest.js';
import type { CloneMachineRequest, CreateMachineRequest, MachineFilter, RebuildMachineRequest } from '../../core/requests.js';
import { ServiceError } from '../../core/service-error.js';
import type {
  AccessControl,
  ImageListResult,
  MachineListResult,
  MachineListSnapshot,
  MachineService,
  PanelEvent,
  PanelEventListener,
  QuotaReport,
  ScopedServices,
  StateChange,
} from '../../core/services.js';
import type {
  CreateSnapshotRequest,
  MachineSnapshot,
  RevertSnapshotRequest,
  SnapshotList,
  SnapshotRef,
  SnapshotService,
} from '../../core/snapshots.js';
import type { ProviderAvailability, ProviderSummary } from '../../core/provider.js';
import { AccessPolicy } from './access-policy.js';
import { machineKey, QuotaLedger, useOf, type MachineSize, type Reservation } from './quota-ledger.js';
import { AuditLog } from '../audit/audit-log.js';
import { auditedServices } from '../audit/audited-services.js';
import { scopedAuditLog } from '../audit/audit-visibility.js';

export interface AccessControlDeps {
  config: Pick<Config, 'users' | 'roles' | 'plans' | 'tokens'>;
  machines: MachineService;
  snapshots: SnapshotService;
  resize: ResizeService;
  guest: GuestService;
  consoles: Pick<ConsoleService, 'issueTicket'>;
  events: EventFeed;
  /** Where every change is recorded (default: a log kept in memory only). */
  audit?: AuditLog;
}

export interface AccessControlHandle extends AccessControl {
  /** The services as the principal may use them, without the audit log (what auditedServices wraps). */
  unaudited(principal: Principal): Omit<ScopedServices, 'audit'>;
  /** Applies a reloaded config's users, roles, grants and quotas. */
  reload(config: Pick<Config, 'users' | 'roles' | 'plans' | 'tokens'>): void;
}

/**
 * One redacted copy per machine object, shared by every principal: the same machine gives the same
 * copy for as long as the list holds it, so what readers keep per machine (its JSON) stays valid.
 */
const redacted = new WeakMap<Machine, Machine>();
/** Per list array, what each view (Principal.viewKey) may see of it. */
const visibleLists = new WeakMap<readonly Machine[], Map<string, readonly Machine[]>>();
function withoutUserdata(machine: Machine): Machine {
  let copy = redacted.get(machine);
  if (!copy) redacted.set(machine, (copy = Object.freeze({ ...machine, userdata: '' })));
  return copy;
}

export function machineTarget(machine: Pick<Machine, 'provider' | 'properties' | 'creator'>): AccessTarget {
  return { provider: machine.provider, machine: { tags: machine.properties.tags, owner: ownerOf(machine) } };
}

export function createAccessControl(deps: AccessControlDeps): AccessControlHandle {
  let config = deps.config;
  const policy = new AccessPolicy(config);
  const planSize = (name: string): MachineSize | undefined => {
    const plan = config.plans.find((candidate) => candidate.name === name);
    return plan && { cpus: plan.cpus, memoryBytes: plan.memoryBytes, diskBytes: plan.diskSizeBytes };
  };
  const ledger = new QuotaLedger(
    async () => {
      const { machines } = await deps.machines.listMachines();
      return [...machines.values()].flatMap((list) => list.machines);
    },
    (machine) => planSize(machine.plan)?.diskBytes ?? 0,
  );
  const audit = deps.audit ?? new AuditLog({});
  return {
    principalFor: (user) => policy.principalFor(user),
    principalForToken: (tokenId) => policy.principalForToken(tokenId),
    servicesFor(principal, context) {
      const reader = scopedAuditLog(audit, principal, deps.machines);
      return auditedServices(this.unaudited(principal), { log: audit, context, reader });
    },
    unaudited(principal: Principal): Omit<ScopedServices, 'audit'> {
      const limit = policy.quotaFor(principal.user);
      const unlimited = Object.keys(limit).length === 0;
      if (isUnrestricted(principal) && unlimited) {
        const everything = new Set<Permission>(PERMISSIONS);
        return {
          principal,
          machines: deps.machines,
          snapshots: deps.snapshots,
          resize: deps.resize,
          guest: deps.guest,
          consoles: deps.consoles,
          events: deps.events,
          can: () => true,
          permissionsOn: () => everything,
          quota: async () => ({ user: principal.user, limit, use: await ledger.use(principal.user) }),
        };
      }
      return new Scoped(principal, deps, ledger, limit, planSize);
    },
    reload(next) {
      config = next;
      policy.replace(next);
    },
  };
}

class Scoped implements Omit<ScopedServices, 'audit'> {
  readonly machines: MachineService;
  readonly snapshots: SnapshotService;
  readonly resize: ResizeService;
  readonly guest: GuestService;
  readonly consoles: Pick<ConsoleService, 'issueTicket'>;
  readonly events: EventFeed;

  constructor(
    readonly principal: Principal,
    private readonly deps: AccessControlDeps,
    private readonly ledger: QuotaLedger,
    private readonly limit: QuotaReport['limit'],
    readonly planSize: (plan: string) => MachineSize | undefined,
  ) {
    const machines = new ScopedMachines(this);
    this.machines = machines;
    this.events = {
      follow: (lastEventId, listener) => {
        const seen = (entry: JournalEvent): JournalEvent | undefined => {
          const event = machines.visible(entry.event);
          return event && { ...entry, event };
        };
        const result = deps.events.follow(lastEventId, (entry) => {
          const visible = seen(entry);
          if (visible) listener(visible);
        });
        return { ...result, replay: result.replay.map(seen).filter((entry) => entry !== undefined) };
      },
    };
    this.snapshots = new ScopedSnapshots(this);
    this.resize = new ScopedResize(this);
    this.guest = {
      getGuestFacts: async (provider, id) => {
        await this.require('view', provider, id, 'read the guest facts of');
        return deps.guest.getGuestFacts(provider, id);
      },
    };
    this.consoles = {
      issueTicket: async (request: OpenConsoleRequest, holder: ConsoleHolder) => {
        await this.require('console', request.provider, request.id, 'open a console of');
        return deps.consoles.issueTicket(request, holder);
      },
    };
  }

  get inner(): AccessControlDeps {
    return this.deps;
  }

  can(permission: Permission, target: AccessTarget): boolean {
    return can(this.principal, permission, target);
  }

  permissionsOn(machine: Machine): ReadonlySet<Permission> {
    const target = machineTarget(machine);
    return new Set(PERMISSIONS.filter((permission) => this.can(permission, target)));
  }

  async quota(): Promise<QuotaReport> {
    return { user: this.principal.user, limit: this.limit, use: await this.ledger.use(this.principal.user) };
  }

  /** A hypervisor the principal may see anything of: machines, images or a place to create. */
  seesProvider(provider: string): boolean {
    return (['list', 'images', 'create'] as const).some((permission) => canSomewhere(this.principal, permission, provider));
  }

  refuse(permission: Permission, doing: string, what: string): ServiceError {
    return new ServiceError(
      'forbidden',
      `user ${this.principal.user} may not ${doing} ${what}: that needs the '${permission}' permission`,
      { permission },
    );
  }

  /** The machine as the list has it (no hypervisor call), or as the hypervisor does. */
  async find(provider: string, id: string): Promise<Machine> {
    try {
      const { machines } = await this.deps.machines.listMachines({ provider });
      const found = machines.get(provider)?.machines.find((machine) => machine.id === id);
      if (found) return found;
    } catch {
      // An unknown provider or a bad id: the hypervisor call below says so in its own words.
    }
    return this.deps.machines.getMachine(provider, id);
  }

  /** The machine, once the principal is known to have `permission` on it. */
  async require(permission: Permission, provider: string, id: string, doing: string): Promise<Machine> {
    const machine = await this.find(provider, id);
    if (this.can(permission, machineTarget(machine))) return machine;
    // Whoever may not even view a machine learns nothing of it, not its name.
    const visible = this.can('view', machineTarget(machine)) || this.can('list', machineTarget(machine));
    throw this.refuse(permission, doing, visible ? `machine ${machine.name}` : `machine ${id} on ${provider}`);
  }

  /**
   * The machines of a list the principal may list, redacted. An unfiltered list is the same array
   * for as long as it does not change, so what is made of it is kept per view (a 1000-machine
   * list is filtered once per change, not per request).
   */
  visibleOf(list: readonly Machine[]): readonly Machine[] {
    let views = visibleLists.get(list);
    const kept = views?.get(this.principal.viewKey);
    if (kept) return kept;
    const visible = Object.freeze(
      list.filter((machine) => this.can('list', machineTarget(machine))).map((machine) => this.redact(machine)),
    );
    if (!views) visibleLists.set(list, (views = new Map()));
    views.set(this.principal.viewKey, visible);
    return visible;
  }

  /** The machine as the principal may read it: without userdata unless `userdata-read`. */
  redact(machine: Machine): Machine {
    if (machine.userdata === '' || this.can('userdata-read', machineTarget(machine))) return machine;
    return withoutUserdata(machine);
  }

  sizeReservation(provider: string, name: string, size: MachineSize): Reservation {
    return { key: machineKey(provider, name), use: useOf(size) };
  }

  withinQuota<T>(reservation: Reservation, work: () => Promise<T>): Promise<T> {
    if (Object.keys(this.limit).length === 0) return work();
    return this.ledger.within(this.principal.user, this.limit, reservation, work);
  }

  diskOf(machine: Machine): number {
    return machine.rootDisk?.sizeBytes ?? this.planSize(machine.plan)?.diskBytes ?? 0;
  }
}

class ScopedMachines implements MachineService {
  constructor(private readonly s: Scoped) {}

  private get inner(): MachineService {
    return this.s.inner.machines;
  }

  async listMachines(filter?: MachineFilter): Promise<MachineListResult> {
    const result = await this.inner.listMachines(filter);
    const machines = new Map<string, MachineListSnapshot>();
    for (const [provider, list] of result.machines) {
      if (!this.s.seesProvider(provider)) continue;
      machines.set(provider, { machines: this.s.visibleOf(list.machines), version: list.version });
    }
    return { machines, providers: result.providers.filter((p) => this.s.seesProvider(p.name)) };
  }

  async getMachine(provider: string, id: string): Promise<Machine> {
    const machine = await this.inner.getMachine(provider, id);
    if (!this.s.can('view', machineTarget(machine))) throw this.s.refuse('view', 'view', `machine ${id} on ${provider}`);
    return this.s.redact(machine);
  }

  async createMachine(request: CreateMachineRequest): Promise<Machine> {
    const target: AccessTarget = { provider: request.provider, machine: { tags: [], owner: this.s.principal.user } };
    if (!this.s.can('create', target)) throw this.s.refuse('create', 'create machines on', `hypervisor ${request.provider}`);
    const plan = this.s.planSize(request.plan);
    const own = { ...request, creator: this.s.principal.user };
    if (!plan) return this.inner.createMachine(own); // the service refuses the unknown plan in its words
    return this.s.withinQuota(this.s.sizeReservation(request.provider, request.name, plan), () => this.inner.createMachine(own));
  }

  async cloneMachine(request: CloneMachineRequest): Promise<Machine> {
    const source = await this.s.require('clone', request.provider, request.id, 'clone');
    const target: AccessTarget = {
      provider: request.provider,
      machine: { tags: source.properties.tags, owner: this.s.principal.user },
    };
    if (!this.s.can('create', target)) throw this.s.refuse('create', 'create machines on', `hypervisor ${request.provider}`);
    const size = { cpus: source.cpus, memoryBytes: source.memoryBytes, diskBytes: this.s.diskOf(source) };
    return this.s.withinQuota(this.s.sizeReservation(request.provider, request.name, size), () =>
      this.inner.cloneMachine({ ...request, by: this.s.principal.user }),
    );
  }

  async rebuildMachine(request: RebuildMachineRequest): Promise<Machine> {
    await this.s.require('rebuild', request.provider, request.id, 'rebuild');
    return this.s.redact(await this.inner.rebuildMachine({ ...request, by: this.s.principal.user }));
  }

  async deleteMachine(provider: string, id: string): Promise<Machine> {
    await this.s.require('delete', provider, id, 'delete');
    return this.s.redact(await this.inner.deleteMachine(provider, id));
  }

  async changeState(provider: string, id: string, action: MachineAction): Promise<StateChange> {
    await this.s.require('power', provider, id, `${action}`);
    const change = await this.inner.changeState(provider, id, action);
    return { ...change, machine: this.s.redact(change.machine) };
  }

  async changeProperties(provider: string, id: string, change: PropertiesChange): Promise<Machine> {
    await this.s.require('tags', provider, id, 'change the tags, label, description or autostart of');
    return this.s.redact(await this.inner.changeProperties(provider, id, change, this.s.principal.user));
  }

  async listImages(): Promise<ImageListResult> {
    const result = await this.inner.listImages();
    const images = new Map([...result.images].filter(([provider]) => canSomewhere(this.s.principal, 'images', provider)));
    return { images, providers: result.providers.filter((p) => canSomewhere(this.s.principal, 'images', p.name)) };
  }

  async providers(): Promise<ProviderSummary[]> {
    return (await this.inner.providers()).filter((summary) => this.s.seesProvider(summary.name));
  }

  providerStates(): ProviderAvailability[] {
    return this.inner.providerStates().filter((state) => this.s.seesProvider(state.name));
  }

  subscribe(listener: PanelEventListener): () => void {
    return this.inner.subscribe((event) => {
      const seen = this.visible(event);
      if (seen) listener(seen);
    });
  }

  /** The event as the principal may hear of it (redacted), or undefined. */
  visible(event: PanelEvent): PanelEvent | undefined {
    switch (event.type) {
      case 'provider':
        return this.s.seesProvider(event.provider.name) ? event : undefined;
      case 'machine':
        return this.s.can('list', machineTarget(event.machine))
          ? { type: 'machine', machine: this.s.redact(event.machine) }
          : undefined;
      case 'machine-removed': {
        // Without the machine's last listing, only who may list every machine there hears of it.
        const target = event.last ? machineTarget(event.last) : { provider: event.provider, machine: { tags: [], owner: '' } };
        if (!this.s.can('list', target)) return undefined;
        const { last: _last, ...removed } = event;
        return removed;
      }
    }
  }
}

class ScopedSnapshots implements SnapshotService {
  constructor(private readonly s: Scoped) {}

  async listSnapshots(provider: string, id: string): Promise<SnapshotList> {
    await this.s.require('view', provider, id, 'view');
    return this.s.inner.snapshots.listSnapshots(provider, id);
  }

  async createSnapshot(request: CreateSnapshotRequest): Promise<MachineSnapshot> {
    await this.s.require('snapshot', request.provider, request.id, 'take a snapshot of');
    return this.s.inner.snapshots.createSnapshot({ ...request, by: this.s.principal.user });
  }

  async revertSnapshot(request: RevertSnapshotRequest): Promise<MachineSnapshot> {
    await this.s.require('snapshot', request.provider, request.id, 'revert');
    return this.s.inner.snapshots.revertSnapshot({ ...request, by: this.s.principal.user });
  }

  async deleteSnapshot(request: SnapshotRef): Promise<void> {
    await this.s.require('snapshot', request.provider, request.id, 'delete a snapshot of');
    return this.s.inner.snapshots.deleteSnapshot({ ...request, by: this.s.principal.user });
  }
}

class ScopedResize implements ResizeService {
  constructor(private readonly s: Scoped) {}

  async resizeMachine(request: ResizeRequest): Promise<ResizeResult> {
    const machine = await this.s.require('resize', request.provider, request.id, 'resize');
    const before = { cpus: machine.cpus, memoryBytes: machine.memoryBytes, diskBytes: this.s.diskOf(machine) };
    const plan = request.plan === undefined ? undefined : this.s.planSize(request.plan);
    const after = {
      cpus: request.cpus ?? plan?.cpus ?? before.cpus,
      memoryBytes: request.memoryBytes ?? plan?.memoryBytes ?? before.memoryBytes,
      diskBytes: Math.max(before.diskBytes, request.diskBytes ?? plan?.diskBytes ?? before.diskBytes),
    };
    const reservation = {
      key: machineKey(machine.provider, machine.name),
      use: useOf(after),
      replaces: useOf(before),
    };
    // Only a machine the user owns counts against the user's quota.
    const result =
      ownerOf(machine) === this.s.principal.user
        ? await this.s.withinQuota(reservation, () =>
            this.s.inner.resize.resizeMachine({ ...request, by: this.s.principal.user }),
          )
        : await this.s.inner.resize.resizeMachine({ ...request, by: this.s.principal.user });
    return { ...result, machine: this.s.redact(result.machine) };
  }
}
