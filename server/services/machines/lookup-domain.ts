/** Finding a machine's domain by id, the way every service refers to a machine. */
import type { HypervisorConfig } from '../../config/index.js';
import { isMachineId, MACHINE_ID_RULE } from '../../core/machine-id.js';
import { ServiceError } from '../../core/service-error.js';
import { ErrorCode, LibvirtError, type CallOptions, type Connection, type Domain } from '../../libvirt/index.js';

/** 'not-found' before any hypervisor is asked, for an id that cannot be one. */
export function assertMachineId(provider: string, id: string): void {
  if (!isMachineId(id)) {
    throw new ServiceError('not-found', `Machine with id ${String(id)} not found on provider ${provider} (${MACHINE_ID_RULE})`);
  }
}

/** The domain with that id; 'not-found' for unknown and ignored domains (ignore_vms). */
export async function lookupDomain(conn: Connection, hv: HypervisorConfig, id: string, options?: CallOptions): Promise<Domain> {
  const notFound = (): ServiceError => new ServiceError('not-found', `Machine with id ${id} not found on provider ${hv.name}`);
  let domain: Domain;
  try {
    domain = await conn.lookupDomainByUuid(id, options);
  } catch (err) {
    if (err instanceof LibvirtError && (err.code === ErrorCode.NO_DOMAIN || err.code === ErrorCode.INVALID_ARG)) throw notFound();
    throw err;
  }
  if (hv.ignoreVms.includes(domain.name)) throw notFound();
  return domain;
}
