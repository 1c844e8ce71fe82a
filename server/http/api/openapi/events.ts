/** The event stream for scripts: GET /api/events/ (README "Events and webhooks"). */
import { Type } from '@sinclair/typebox';
import { EVENT_ID_RULE } from '../../../core/events.js';
import { EVENT_REF } from './components.js';
import { errorResponse, type ApiOperation } from './registry.js';

const tag = 'Events';

export const eventOperations: ApiOperation[] = [
  {
    method: 'get',
    path: '/api/events/',
    operationId: 'followEvents',
    summary: 'Follow the panel’s events (server-sent events)',
    description: `A text/event-stream of every change to a machine the user may list and of every hypervisor's
connection state: one message per event, its \`event:\` the event's name, its \`id:\` the event id and its
\`data:\` the Event JSON; a comment line as a heartbeat. Send \`Last-Event-ID\` (or \`?last_event_id=\`)
to get the events after that one from the panel's replay window; an id of another panel run or older
than the window gets a \`reset\` event instead (reload your state, then follow on).`,
    tag,
    query: Type.Object({
      last_event_id: Type.Optional(Type.String({ description: `Resume after this event: ${EVENT_ID_RULE}.` })),
    }),
    responses: {
      200: {
        description: 'The stream: events as they happen, until the client goes away.',
        content: {
          mediaType: 'text/event-stream',
          schema: Type.String({ description: 'Server-sent events whose data is the Event schema.', contentSchema: EVENT_REF }),
        },
      },
      400: errorResponse('Last-Event-ID or last_event_id is not an event id.'),
      429: errorResponse('This user has the most event streams open already, or the panel has.', {
        'Retry-After': { description: 'Seconds to wait before trying again.', schema: Type.Integer() },
      }),
    },
  },
];
