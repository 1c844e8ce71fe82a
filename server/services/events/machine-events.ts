/**
 * Turns the connection manager's libvirt domain events and hypervisor status changes into the
 * updates the pages need, and fans them out to every open page. It listens to the manager only
 * while at least one page is subscribed, so closed pages leave no listeners behind.
 */
import type { ConnectionManager, HypervisorStatus, ManagedConnection } from '../../hypervisors/connection-manager.js';
import type { DomainEvent } from '../../libvirt/index.js';
import type { Logger } from '../../core/log.js';
import { ServiceError, type MachineService } from '../../core/services.js';
import { machineSummary, type MachineSummary } from '../../http/pages/machine-view.js';

export type LiveUpdate =
  | { type: 'machine'; data: MachineSummary }
  | { type: 'machine-removed'; data: { provider: string; id: string; name: string } }
  | { type: 'provider'; data: { name: string; state: HypervisorStatus['state']; error?: string; since: string } };

export type LiveListener = (update: LiveUpdate) => void;

/** Events of one domain that arrive this close together are answered with one machine read. */
const COALESCE_MS = 150;

export class LiveEvents {
  private readonly listeners = new Set<LiveListener>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private attached = false;

  constructor(
    private readonly hypervisors: ConnectionManager<ManagedConnection>,
    private readonly service: MachineService,
    private readonly logger: Logger,
  ) {}

  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    this.attach();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.detach();
    };
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  private readonly onStatus = (status: HypervisorStatus): void => {
    this.publish({
      type: 'provider',
      data: { name: status.name, state: status.state, ...(status.error ? { error: status.error } : {}), since: status.since.toISOString() },
    });
  };

  private readonly onDomainEvent = (hypervisor: string, event: unknown): void => {
    const domain = event as Partial<DomainEvent>;
    if (typeof domain.domainUuid !== 'string') return;
    const id = domain.domainUuid.replace(/-/g, '').toLowerCase();
    const key = `${hypervisor}/${id}`;
    if (this.pending.has(key)) return;
    const name = typeof domain.domainName === 'string' ? domain.domainName : id;
    this.pending.set(key, setTimeout(() => {
      this.pending.delete(key);
      void this.publishMachine(hypervisor, id, name);
    }, COALESCE_MS));
  };

  private async publishMachine(provider: string, id: string, name: string): Promise<void> {
    try {
      const machine = await this.service.getMachine(provider, id);
      this.publish({ type: 'machine', data: machineSummary(machine) });
    } catch (err) {
      if (err instanceof ServiceError && err.kind === 'not-found') {
        this.publish({ type: 'machine-removed', data: { provider, id, name } });
      } else {
        this.logger.debug({ err, provider, id }, 'live update: could not read machine');
      }
    }
  }

  private publish(update: LiveUpdate): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(update);
      } catch (err) {
        this.logger.warn({ err }, 'live update listener failed');
      }
    }
  }

  private attach(): void {
    if (this.attached) return;
    this.attached = true;
    this.hypervisors.on('status', this.onStatus);
    this.hypervisors.on('domainEvent', this.onDomainEvent);
  }

  private detach(): void {
    if (!this.attached) return;
    this.attached = false;
    this.hypervisors.off('status', this.onStatus);
    this.hypervisors.off('domainEvent', this.onDomainEvent);
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }
}
