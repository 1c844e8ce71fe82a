/**
 * The query of `GET /api/machines/`: `provider`, `state`, `q` and `tag`, each at most once. Their values
 * are the machine service's to check (an unknown provider or state is its 'bad-request').
 */
import type { ListField, MachineFilter } from '../../core/requests.js';
import { HttpError } from '../http-error.js';

const PARAMETERS: readonly ListField[] = ['provider', 'state', 'q', 'tag'];

export function machineFilterFromQuery(query: Record<string, unknown>): MachineFilter {
  const filter: MachineFilter = {};
  for (const [name, value] of Object.entries(query)) {
    if (!(PARAMETERS as readonly string[]).includes(name)) {
      throw new HttpError(400, `unknown query parameter "${name.slice(0, 60)}"; the machine list takes ${PARAMETERS.join(', ')}`);
    }
    if (typeof value !== 'string')
      throw new HttpError(400, `query parameter "${name}" is given more than once; it takes one value`);
    if (value !== '') filter[name as ListField] = value;
  }
  return filter;
}
