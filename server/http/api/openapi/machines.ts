/** The machine list and one machine: list, create, get, change properties, delete. */
import { CREATE_BODY } from '../../create-request.js';
import { PROPERTIES_BODY } from '../../properties-request.js';
import { MACHINE_LIST_QUERY } from '../list-filter.js';
import { GUEST_FACTS_REF, MACHINE_DETAIL_REF, MACHINE_LIST_REF, MESSAGE_REF } from './components.js';
import { Type } from '@sinclair/typebox';
import { BUSY, errorResponse, FORBIDDEN, NOT_FOUND, UNAVAILABLE, type ApiOperation } from './registry.js';

const tag = 'Machines';

export const machineOperations: ApiOperation[] = [
  {
    method: 'get',
    path: '/api/machines/',
    operationId: 'listMachines',
    summary: 'List machines',
    description:
      'Every machine the user may see, by provider. A provider that is not connected lists [] and says why in Providers.',
    tag,
    query: MACHINE_LIST_QUERY,
    responses: {
      200: { description: 'The machines.', schema: MACHINE_LIST_REF },
      400: errorResponse('An unknown or repeated query parameter, an unknown provider or state.'),
    },
  },
  {
    method: 'post',
    path: '/api/machines/',
    operationId: 'createMachine',
    summary: 'Create a machine',
    description: "vmango 0.6's create: its form fields, or the same fields as JSON. Starts the machine once made.",
    tag,
    body: { spec: CREATE_BODY },
    responses: {
      201: {
        description: '{"Message": "Machine NAME (ID) created"}.',
        schema: MESSAGE_REF,
        headers: { Location: { description: "The new machine's URL.", schema: Type.String() } },
      },
      400: errorResponse('A field breaks its rules (the message names it): name, plan, image, provider, key, userdata.'),
      403: errorResponse('The user may not create machines there, or the quota would be passed (Quota names which).'),
      409: errorResponse('A machine of that name exists on the provider.'),
      501: errorResponse('The provider cannot create machines (e.g. its image pool is missing).'),
      503: UNAVAILABLE,
    },
  },
  {
    method: 'get',
    path: '/api/machines/:provider/:id/',
    operationId: 'getMachine',
    summary: 'Get a machine',
    tag,
    responses: {
      200: { description: 'The machine.', schema: MACHINE_DETAIL_REF },
      403: FORBIDDEN,
      404: NOT_FOUND,
      503: UNAVAILABLE,
    },
  },
  {
    method: 'patch',
    path: '/api/machines/:provider/:id/',
    operationId: 'changeMachineProperties',
    summary: "Change a machine's tags, label, description or autostart",
    tag,
    body: { spec: PROPERTIES_BODY },
    responses: {
      200: { description: 'The machine as changed.', schema: MACHINE_DETAIL_REF },
      400: errorResponse('A field breaks its rules, or nothing to change.'),
      403: FORBIDDEN,
      404: NOT_FOUND,
      409: BUSY,
      503: UNAVAILABLE,
    },
  },
  {
    method: 'delete',
    path: '/api/machines/:provider/:id/',
    operationId: 'deleteMachine',
    summary: 'Delete a machine (and its disks)',
    tag,
    responses: {
      204: { description: 'Deleted.' },
      403: FORBIDDEN,
      404: NOT_FOUND,
      409: BUSY,
      503: UNAVAILABLE,
    },
  },
  {
    method: 'get',
    path: '/api/machines/:provider/:id/guest/',
    operationId: 'getGuestFacts',
    summary: "What the machine's guest agent reports",
    description:
      'Agent alive and version, OS, kernel, hostname, timezone, users, filesystems, network cards. 200 also when the agent does not answer (Agent.Answering false, and why).',
    tag,
    responses: {
      200: { description: 'The guest facts.', schema: GUEST_FACTS_REF },
      403: FORBIDDEN,
      404: NOT_FOUND,
      503: UNAVAILABLE,
    },
  },
];
