/** A machine's snapshots: list, take, delete, revert. */
import { Type } from '@sinclair/typebox';
import { SNAPSHOT_CREATE_BODY, SNAPSHOT_REVERT_BODY } from '../../snapshot-request.js';
import { SNAPSHOT_CREATED_REF, SNAPSHOT_LIST_REF, SNAPSHOT_REVERTED_REF } from './components.js';
import { BUSY, errorResponse, FORBIDDEN, NOT_FOUND, UNAVAILABLE, type ApiOperation } from './registry.js';

const tag = 'Snapshots';
const SNAPSHOT_NOT_FOUND = errorResponse('No such machine, or no snapshot of that name.');
const UNSUPPORTED = errorResponse('The machine cannot have snapshots (e.g. a raw disk), or its hypervisor cannot.');

export const snapshotOperations: ApiOperation[] = [
  {
    method: 'get',
    path: '/api/machines/:provider/:id/snapshots/',
    operationId: 'listSnapshots',
    summary: "List a machine's snapshots",
    tag,
    responses: {
      200: { description: 'The snapshots, oldest first.', schema: SNAPSHOT_LIST_REF },
      403: FORBIDDEN,
      404: NOT_FOUND,
      503: UNAVAILABLE,
    },
  },
  {
    method: 'post',
    path: '/api/machines/:provider/:id/snapshots/',
    operationId: 'createSnapshot',
    summary: 'Take a snapshot',
    description: 'Of a running machine with its memory.',
    tag,
    body: { spec: SNAPSHOT_CREATE_BODY },
    responses: {
      201: {
        description: 'Taken.',
        schema: SNAPSHOT_CREATED_REF,
        headers: { Location: { description: "The snapshot's URL.", schema: Type.String() } },
      },
      400: errorResponse('A name or description the rules do not allow.'),
      403: FORBIDDEN,
      404: NOT_FOUND,
      409: errorResponse('The machine has a snapshot of that name, or another change of it is under way.'),
      501: UNSUPPORTED,
      503: UNAVAILABLE,
    },
  },
  {
    method: 'delete',
    path: '/api/machines/:provider/:id/snapshots/:name/',
    operationId: 'deleteSnapshot',
    summary: 'Delete a snapshot',
    tag,
    responses: {
      204: { description: 'Deleted.' },
      403: FORBIDDEN,
      404: SNAPSHOT_NOT_FOUND,
      409: BUSY,
      501: UNSUPPORTED,
      503: UNAVAILABLE,
    },
  },
  {
    method: 'post',
    path: '/api/machines/:provider/:id/snapshots/:name/revert/',
    operationId: 'revertSnapshot',
    summary: 'Revert a machine to a snapshot',
    description: 'A running machine only with Force: what it did since is lost.',
    tag,
    body: { spec: SNAPSHOT_REVERT_BODY },
    responses: {
      200: { description: 'Reverted.', schema: SNAPSHOT_REVERTED_REF },
      403: FORBIDDEN,
      404: SNAPSHOT_NOT_FOUND,
      400: errorResponse('The machine is running and Force was not given (or Force is not true or false).'),
      409: BUSY,
      501: UNSUPPORTED,
      503: UNAVAILABLE,
    },
  },
];
