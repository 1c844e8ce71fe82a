/** Changes that make or remake a machine: console tickets, clone, rebuild, resize, power actions. */
import { Type } from '@sinclair/typebox';
import { MACHINE_ACTIONS } from '../../../core/actions.js';
import { CLONE_BODY } from '../../clone-request.js';
import { CONSOLE_BODY } from '../../console-request.js';
import { REBUILD_BODY } from '../../rebuild-request.js';
import { RESIZE_BODY } from '../../resize-request.js';
import { CONSOLE_TICKET_REF, MACHINE_CHANGED_REF, POWER_DONE_REF, RESIZED_REF } from './components.js';
import { BUSY, errorResponse, FORBIDDEN, NOT_FOUND, UNAVAILABLE, type ApiOperation } from './registry.js';

const tag = 'Machine changes';

export const machineChangeOperations: ApiOperation[] = [
  {
    method: 'post',
    path: '/api/machines/:provider/:id/console/',
    operationId: 'issueConsoleTicket',
    summary: 'Get a console ticket',
    description: 'A one-time ticket (30 seconds) for the console WebSocket, bound to these credentials.',
    tag: 'Consoles',
    body: { spec: CONSOLE_BODY },
    responses: {
      201: { description: 'Where to connect.', schema: CONSOLE_TICKET_REF },
      403: FORBIDDEN,
      404: NOT_FOUND,
      409: errorResponse('The machine is not running, or (serial) another client holds the console and Force was not given.'),
      501: errorResponse('The machine has no console of that kind.'),
      503: UNAVAILABLE,
    },
  },
  {
    method: 'post',
    path: '/api/machines/:provider/:id/clone/',
    operationId: 'cloneMachine',
    summary: 'Clone a shut-off machine',
    tag,
    body: { spec: CLONE_BODY },
    responses: {
      201: {
        description: 'Cloned.',
        schema: MACHINE_CHANGED_REF,
        headers: { Location: { description: "The clone's URL.", schema: Type.String() } },
      },
      400: errorResponse('A name the rules do not allow.'),
      403: FORBIDDEN,
      404: NOT_FOUND,
      409: errorResponse('The machine is running, or a machine of that name exists.'),
      501: errorResponse('The machine cannot be cloned (e.g. its disk is not a volume of a pool).'),
      503: UNAVAILABLE,
    },
  },
  {
    method: 'post',
    path: '/api/machines/:provider/:id/rebuild/',
    operationId: 'rebuildMachine',
    summary: 'Reinstall a machine from an image',
    description: 'A new root disk and config drive; the same name, MAC, address and size. What is not given stays.',
    tag,
    body: { spec: REBUILD_BODY },
    responses: {
      200: { description: 'Rebuilt.', schema: MACHINE_CHANGED_REF },
      400: errorResponse('An image or key that does not exist, or userdata the rules do not allow.'),
      403: FORBIDDEN,
      404: NOT_FOUND,
      409: BUSY,
      501: errorResponse('The machine cannot be rebuilt (e.g. not made by vmango).'),
      503: UNAVAILABLE,
    },
  },
  {
    method: 'post',
    path: '/api/machines/:provider/:id/resize/',
    operationId: 'resizeMachine',
    summary: "Change a machine's CPUs, memory or disk size",
    tag,
    body: { spec: RESIZE_BODY },
    responses: {
      200: { description: 'Resized: what applied now, what at the next boot.', schema: RESIZED_REF },
      400: errorResponse('A value out of range, an unknown plan, a smaller disk, or nothing to change.'),
      403: FORBIDDEN,
      404: NOT_FOUND,
      409: BUSY,
      501: errorResponse('The machine cannot be resized that way.'),
      503: UNAVAILABLE,
    },
  },
  {
    method: 'post',
    path: '/api/machines/:provider/:id/:action/',
    operationId: 'changeMachineState',
    summary: 'Power action',
    description: `One of ${MACHINE_ACTIONS.join(', ')}. Another method on this path answers 501 (0.6).`,
    tag: 'Power',
    pathParameters: { action: Type.Union(MACHINE_ACTIONS.map((action) => Type.Literal(action))) },
    responses: {
      200: {
        description:
          '{"Message": "Action ACTION done for machine NAME"}, and for shutdown and reboot how it reached the guest (Via).',
        schema: POWER_DONE_REF,
      },
      400: errorResponse('The action does not apply in the machine state.'),
      403: FORBIDDEN,
      404: errorResponse('An unknown action (the message lists them), provider or machine.'),
      409: BUSY,
      503: UNAVAILABLE,
    },
  },
];
