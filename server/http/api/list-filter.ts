/** The query of `GET /api/machines/`: `provider`, `state` and `q`, each at most once. */
import type { Config } from '../../config/index.js';
import type { MachineState } from '../../core/machine.js';
import type { MachineFilter } from '../../core/services.js';
import { HttpError } from '../errors.js';

export const MACHINE_STATES: readonly MachineState[] = ['running', 'stopped', 'paused', 'unknown'];
const PARAMETERS = ['provider', 'state', 'q'] as const;

export function machineFilterFromQuery(query: Record<string, unknown>, config: Pick<Config, 'hypervisors'>): MachineFilter {
  const filter: MachineFilter = {};
  for (const [name, value] of Object.entries(query)) {
    if (!(PARAMETERS as readonly string[]).includes(name)) {
      throw new HttpError(400, `unknown query parameter "${name.slice(0, 60)}"; the machine list takes ${PARAMETERS.join(', ')}`);
    }
    if (typeof value !== 'string') throw new HttpError(400, `query parameter "${name}" is given more than once; it takes one value`);
    if (value === '') continue;
    if (name === 'provider') {
      const names = config.hypervisors.map((hypervisor) => hypervisor.name);
      if (!names.includes(value)) {
        throw new HttpError(400, `provider '${value.slice(0, 60)}' not found; the providers are ${names.join(', ') || '(none configured)'}`);
      }
      filter.provider = value;
    } else if (name === 'state') {
      if (!(MACHINE_STATES as readonly string[]).includes(value)) {
        throw new HttpError(400, `state "${value.slice(0, 60)}" is not a machine state; use one of ${MACHINE_STATES.join(', ')}`);
      }
      filter.state = value as MachineState;
    } else {
      filter.q = value;
    }
  }
  return filter;
}
