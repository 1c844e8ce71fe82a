/** Checks the provider and machine id of a machine URL before anything asks a hypervisor. */
import type { Config } from '../../config/index.js';
import { HttpError } from '../errors.js';

const MACHINE_ID = /^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;

export function isMachineId(id: string): boolean {
  return MACHINE_ID.test(id);
}

/** Throws 404 for a provider the config does not have, or an id no machine can have. */
export function checkMachineRef(config: Pick<Config, 'hypervisors'>, provider: string, id: string): void {
  checkProvider(config, provider);
  if (!isMachineId(id)) {
    throw new HttpError(404, `Machine with id ${id} not found on provider ${provider} (a machine id is 32 hex digits, or a UUID with dashes)`);
  }
}

export function checkProvider(config: Pick<Config, 'hypervisors'>, provider: string): void {
  if (!config.hypervisors.some((hypervisor) => hypervisor.name === provider)) {
    throw new HttpError(404, `provider '${provider}' not found`);
  }
}
