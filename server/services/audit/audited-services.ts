/**
 * The services as one principal may use them, with every change recorded in the audit log: one
 * decorator over ScopedServices, so the API and the pages are audited alike. Reads are not
 * recorded (a token's use is, once a minute).
 */
import type { AuditAction, AuditEntry, AuditOutcome } from '../../core/audit.js';
import type { Machine } from '../../core/machine.js';
import type { MachineAction } from '../../core/actions.js';
import type { PropertiesChange } from '../../core/machine-properties.js';
import type { ResizeRequest, ResizeResult, ResizeService } from '../../core/resize.js';
import type { CloneMachineRequest, CreateMachineRequest, RebuildMachineRequest } from '../../core/requests.js';
import { ServiceError } from '../../core/service-error.js';
import type { MachineService, RequestContext, ScopedAuditLog, ScopedServices, StateChange } from '../../core/services.js';
import type {
  CreateSnapshotRequest,
  MachineSnapshot,
  RevertSnapshotRequest,
  SnapshotRef,
  SnapshotService,
} from '../../core/snapshots.js';
import type { AuditLog } from './audit-log.js';

/** What a change is about and how it is described, before it is known how it ends. */
interface Change {
  action: AuditAction;
  provider: string;
  machine?: string;
  machineName?: string;
  detail?: Record<string, string | number | boolean>;
}

/** A ServiceError's kind decides the outcome: a 4xx is refused, a 5xx failed. */
export function outcomeOf(err: unknown): { outcome: AuditOutcome; error: string } {
  if (!(err instanceof ServiceError) || err.kind === 'internal') {
    // Only a ServiceError's message is meant for the caller; anything else is logged where it happened.
    return { outcome: 'failed', error: 'internal error (see the panel log)' };
  }
  const failed = err.kind === 'unsupported' || err.kind === 'unavailable';
  return { outcome: failed ? 'failed' : 'refused', error: err.message };
}

export class ChangeRecorder {
  constructor(
    private readonly log: AuditLog,
    private readonly base: Pick<AuditEntry, 'user' | 'token' | 'address'>,
  ) {}

  async run<T>(change: Change, work: () => Promise<T>, after?: (result: T) => Partial<Change>): Promise<T> {
    return this.attempt(change, work, after, true);
  }

  /** Only a refusal or failure is recorded (the success is recorded where it completes). */
  async unlessOk<T>(change: Change, work: () => Promise<T>): Promise<T> {
    return this.attempt(change, work, undefined, false);
  }

  private async attempt<T>(
    change: Change,
    work: () => Promise<T>,
    after: ((result: T) => Partial<Change>) | undefined,
    recordOk: boolean,
  ): Promise<T> {
    const started = performance.now();
    const time = new Date().toISOString();
    try {
      const result = await work();
      if (recordOk) this.write(time, started, { ...change, ...after?.(result) }, 'ok');
      return result;
    } catch (err) {
      const { outcome, error } = outcomeOf(err);
      this.write(time, started, change, outcome, error);
      throw err;
    }
  }

  private write(time: string, started: number, change: Change, outcome: AuditOutcome, error?: string): void {
    this.log.record({
      time,
      ...this.base,
      ...change,
      outcome,
      durationMs: Math.round(performance.now() - started),
      ...(error === undefined ? {} : { error }),
    });
  }
}

const named = (machine: Machine): Partial<Change> => ({ machine: machine.id, machineName: machine.name });

export interface AuditedServicesDeps {
  log: AuditLog;
  context?: RequestContext;
  /** The scoped reader of the log (audit-visibility.ts). */
  reader: ScopedAuditLog;
}

/** `base` with every change audited, and the log's reader for the principal. */
export function auditedServices(base: Omit<ScopedServices, 'audit'>, deps: AuditedServicesDeps): ScopedServices {
  const { principal } = base;
  const who: Pick<AuditEntry, 'user' | 'token' | 'address'> = {
    user: principal.user,
    ...(principal.tokenId === undefined ? {} : { token: principal.tokenId }),
    ...(deps.context?.address === undefined ? {} : { address: deps.context.address }),
  };
  if (principal.tokenId !== undefined) deps.log.tokenUsed({ ...who, token: principal.tokenId });
  const recorder = new ChangeRecorder(deps.log, who);
  return {
    principal,
    machines: new AuditedMachines(base.machines, recorder),
    snapshots: new AuditedSnapshots(base.snapshots, recorder),
    resize: new AuditedResize(base.resize, recorder),
    // A console's opening and closing are recorded by the console socket; a refused ticket here.
    consoles: {
      issueTicket: (request, holder) =>
        recorder.unlessOk(
          { action: 'console.open', provider: request.provider, machine: request.id, detail: { console: request.kind } },
          () => base.consoles.issueTicket(request, holder),
        ),
    },
    // Reads: what the guest reports, the events the principal may hear of.
    guest: base.guest,
    events: base.events,
    can: (permission, target) => base.can(permission, target),
    permissionsOn: (machine) => base.permissionsOn(machine),
    quota: () => base.quota(),
    audit: deps.reader,
  };
}

class AuditedMachines implements MachineService {
  constructor(
    private readonly inner: MachineService,
    private readonly recorder: ChangeRecorder,
  ) {}

  listMachines: MachineService['listMachines'] = (filter) => this.inner.listMachines(filter);
  getMachine: MachineService['getMachine'] = (provider, id) => this.inner.getMachine(provider, id);
  listImages: MachineService['listImages'] = () => this.inner.listImages();
  providers: MachineService['providers'] = () => this.inner.providers();
  providerStates: MachineService['providerStates'] = () => this.inner.providerStates();
  subscribe: MachineService['subscribe'] = (listener) => this.inner.subscribe(listener);

  createMachine(request: CreateMachineRequest): Promise<Machine> {
    const detail = { plan: request.plan, image: request.image };
    return this.recorder.run(
      { action: 'machine.create', provider: request.provider, machineName: request.name, detail },
      () => this.inner.createMachine(request),
      named,
    );
  }

  cloneMachine(request: CloneMachineRequest): Promise<Machine> {
    return this.recorder.run(
      { action: 'machine.clone', provider: request.provider, machine: request.id, detail: { clone: request.name } },
      () => this.inner.cloneMachine(request),
      (clone) => ({ detail: { clone: clone.name, cloneId: clone.id } }),
    );
  }

  rebuildMachine(request: RebuildMachineRequest): Promise<Machine> {
    return this.recorder.run(
      { action: 'machine.rebuild', provider: request.provider, machine: request.id },
      () => this.inner.rebuildMachine(request),
      (machine) => ({ ...named(machine), detail: { image: machine.imageId } }),
    );
  }

  deleteMachine(provider: string, id: string): Promise<Machine> {
    return this.recorder.run(
      { action: 'machine.delete', provider, machine: id },
      () => this.inner.deleteMachine(provider, id),
      named,
    );
  }

  changeState(provider: string, id: string, action: MachineAction): Promise<StateChange> {
    return this.recorder.run(
      { action: 'machine.power', provider, machine: id, detail: { action } },
      () => this.inner.changeState(provider, id, action),
      (change) => ({ ...named(change.machine), detail: { action, ...(change.via ? { via: change.via } : {}) } }),
    );
  }

  changeProperties(provider: string, id: string, change: PropertiesChange, by: string): Promise<Machine> {
    const detail = { changed: Object.keys(change).sort().join(',') };
    return this.recorder.run(
      { action: 'machine.properties', provider, machine: id, detail },
      () => this.inner.changeProperties(provider, id, change, by),
      named,
    );
  }
}

class AuditedSnapshots implements SnapshotService {
  constructor(
    private readonly inner: SnapshotService,
    private readonly recorder: ChangeRecorder,
  ) {}

  listSnapshots: SnapshotService['listSnapshots'] = (provider, id) => this.inner.listSnapshots(provider, id);

  createSnapshot(request: CreateSnapshotRequest): Promise<MachineSnapshot> {
    return this.recorder.run(
      { action: 'snapshot.create', provider: request.provider, machine: request.id, detail: { snapshot: request.name } },
      () => this.inner.createSnapshot(request),
    );
  }

  revertSnapshot(request: RevertSnapshotRequest): Promise<MachineSnapshot> {
    return this.recorder.run(
      { action: 'snapshot.revert', provider: request.provider, machine: request.id, detail: { snapshot: request.name } },
      () => this.inner.revertSnapshot(request),
    );
  }

  deleteSnapshot(request: SnapshotRef): Promise<void> {
    return this.recorder.run(
      { action: 'snapshot.delete', provider: request.provider, machine: request.id, detail: { snapshot: request.name } },
      () => this.inner.deleteSnapshot(request),
    );
  }
}

class AuditedResize implements ResizeService {
  constructor(
    private readonly inner: ResizeService,
    private readonly recorder: ChangeRecorder,
  ) {}

  resizeMachine(request: ResizeRequest): Promise<ResizeResult> {
    const detail: Record<string, string | number> = {};
    if (request.plan !== undefined) detail.plan = request.plan;
    if (request.cpus !== undefined) detail.cpus = request.cpus;
    if (request.memoryBytes !== undefined) detail.memoryBytes = request.memoryBytes;
    if (request.diskBytes !== undefined) detail.diskBytes = request.diskBytes;
    return this.recorder.run(
      { action: 'machine.resize', provider: request.provider, machine: request.id, detail },
      () => this.inner.resizeMachine(request),
      (result) => named(result.machine),
    );
  }
}
