/**
 * How the services reach a hypervisor: the live connection from the manager, every failure turned
 * into a ServiceError, and a lost connection or missed deadline reported to the manager at once.
 */
import type { HypervisorConfig } from '../config/index.js';
import type { RequestField } from '../core/requests.js';
import { ServiceError } from '../core/service-error.js';
import { ErrorCode, type Connection } from '../libvirt/index.js';
import type { ConnectionManager } from './connection-manager.js';
import { UnknownHypervisorError } from './connection-manager.js';
import { errorMessage, isHypervisorLost, toServiceError } from './provider-errors.js';

export class ProviderAccess {
  private readonly byName: Map<string, HypervisorConfig>;

  constructor(
    hypervisors: readonly HypervisorConfig[],
    private readonly manager: ConnectionManager<Connection>,
  ) {
    this.byName = new Map(hypervisors.map((hv) => [hv.name, hv]));
  }

  /** Config names, sorted as the lists present them. */
  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  /**
   * The hypervisor's config; ServiceError 'not-found' (`provider 'X' not found`) when unknown,
   * about `field` when the name came from one.
   */
  config(provider: string, field?: RequestField): HypervisorConfig {
    const hv = this.byName.get(provider);
    if (!hv) throw new ServiceError('not-found', new UnknownHypervisorError(provider).message, { fields: field ? [field] : [] });
    return hv;
  }

  /**
   * Runs `work` on the provider's live connection. Errors become ServiceErrors ("failed to
   * <doing>: …" for the unexpected ones); a lost connection or deadline is reported to the manager.
   */
  async run<T>(provider: string, doing: string, work: (conn: Connection, hv: HypervisorConfig) => Promise<T>): Promise<T> {
    const hv = this.config(provider);
    let conn: Connection;
    try {
      conn = this.manager.get(provider);
    } catch (err) {
      throw toServiceError(provider, err, doing);
    }
    try {
      return await work(conn, hv);
    } catch (err) {
      this.noteFailure(provider, conn, err);
      throw toServiceError(provider, err, doing);
    }
  }

  /**
   * Tells the manager what `err` says about the hypervisor: a lost connection ends it; a missed
   * deadline only makes it probe sooner (one slow call must not make the host unavailable for all).
   */
  noteFailure(provider: string, conn: Connection, err: unknown): void {
    if (!isHypervisorLost(err)) return;
    if (err.code === ErrorCode.TIMEOUT) this.manager.suspect(provider, conn);
    else this.manager.reportFailure(provider, conn, errorMessage(err));
  }
}
