/**
 * The query of `GET /api/machines/`: `provider`, `state`, `q` and `tag`, each at most once. Their values
 * are the machine service's to check (an unknown provider or state is its 'bad-request').
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { MACHINE_STATES } from '../../core/machine.js';
import type { ListField, MachineFilter } from '../../core/requests.js';
import { HttpError } from '../http-error.js';
import { validatorOf } from '../request-schema.js';

export const MACHINE_LIST_QUERY = Type.Partial(
  Type.Object({
    provider: Type.String({ description: "Only this hypervisor's machines (a provider name)." }),
    state: Type.String({ description: `Only machines in this state: ${MACHINE_STATES.join(', ')}.`, examples: ['running'] }),
    q: Type.String({ description: 'Machines whose name, IP, image, plan, creator, a tag or label contains this (any case).' }),
    tag: Type.String({ description: 'Only machines carrying this tag.' }),
  } satisfies Record<ListField, TSchema>),
  { additionalProperties: false },
);

const PARAMETERS = Object.keys(MACHINE_LIST_QUERY.properties);

export function machineFilterFromQuery(query: Record<string, unknown>): MachineFilter {
  const validate = validatorOf(MACHINE_LIST_QUERY);
  if (!validate(query)) {
    const error = validate.errors?.[0];
    const extra = error?.keyword === 'additionalProperties' ? String(error.params.additionalProperty) : undefined;
    if (extra !== undefined)
      throw new HttpError(
        400,
        `unknown query parameter "${extra.slice(0, 60)}"; the machine list takes ${PARAMETERS.join(', ')}`,
      );
    const name = error?.instancePath.slice(1) ?? '';
    throw new HttpError(400, `query parameter "${name}" is given more than once; it takes one value`);
  }
  const filter: MachineFilter = {};
  for (const [name, value] of Object.entries(query)) if (value !== '') filter[name as ListField] = value as string;
  return filter;
}
