/**
 * Turns the connection manager's libvirt domain events and hypervisor status changes into the
 * service contract's PanelEvents, and fans them out to every subscriber. It listens to the manager
 * only while at least one subscriber is there, so closed pages leave no listeners behind.
 */
import type { Logger } from '../../core/log.js';
import { machineIdFromUuid } from '../../core/machine-id.js';
import type { Machine } from '../../core/machine.js';
import type { ProviderAvailability, ProviderStatus } from '../../core/provider.js';
import { ServiceError } from '../../core/service-error.js';
import type { PanelEvent, PanelEventListener } from '../../core/services.js';
import type { ConnectionManager, ManagedConnection } from '../../hypervisors/connection-manager.js';
import type { DomainEvent } from '../../libvirt/index.js';

/** Events of one domain that arrive this close together are answered with one machine read. */
const COALESCE_MS = 150;

export function availabilityOf(status: ProviderStatus): ProviderAvailability {
  return { name: status.name, state: status.state, ...(status.error ? { error: status.error } : {}), since: status.since };
}

export class MachineEvents {
  private readonly listeners = new Set<PanelEventListener>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private attached = false;

  constructor(
    private readonly hypervisors: ConnectionManager<ManagedConnection>,
    private readonly readMachine: (provider: string, id: string) => Promise<Machine>,
    private readonly logger: Logger,
    /** The machine as the list last had it, if it still does. */
    private readonly lastKnown: (provider: string, id: string) => Machine | undefined = () => undefined,
  ) {}

  subscribe(listener: PanelEventListener): () => void {
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

  close(): void {
    this.listeners.clear();
    this.detach();
  }

  private readonly onStatus = (status: ProviderStatus): void => {
    this.publish({ type: 'provider', provider: availabilityOf(status) });
  };

  private readonly onDomainEvent = (hypervisor: string, event: unknown): void => {
    const domain = event as Partial<DomainEvent>;
    if (typeof domain.domainUuid !== 'string') return;
    const id = machineIdFromUuid(domain.domainUuid);
    const key = `${hypervisor}/${id}`;
    if (this.pending.has(key)) return;
    const name = typeof domain.domainName === 'string' ? domain.domainName : id;
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        void this.publishMachine(hypervisor, id, name);
      }, COALESCE_MS),
    );
  };

  private async publishMachine(provider: string, id: string, name: string): Promise<void> {
    try {
      this.publish({ type: 'machine', machine: await this.readMachine(provider, id) });
    } catch (err) {
      if (err instanceof ServiceError && err.kind === 'not-found') {
        const last = this.lastKnown(provider, id);
        this.publish({ type: 'machine-removed', provider, id, name, ...(last ? { last } : {}) });
      } else {
        this.logger.debug({ err, provider, id }, 'live update: could not read machine');
      }
    }
  }

  private publish(event: PanelEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
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
