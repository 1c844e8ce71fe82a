/**
 * A clone from a form or JSON: `Name` (the clone's), `Full` (a full copy even of an overlay
 * disk; default false), `Start` (start it once made; default true). Only the shape is checked
 * here; the machine service checks the name.
 */
import type { CloneMachineRequest } from '../core/requests.js';
import { CLONE_FIELDS } from '../core/requests.js';
import type { ParsedBody } from './body.js';
import { flagField, requestFields, textField } from './request-fields.js';

export function cloneRequestFromBody(body: ParsedBody, provider: string, id: string, by: string): CloneMachineRequest {
  const fields = requestFields(body, CLONE_FIELDS);
  return {
    provider,
    id,
    name: textField(fields, 'Name'),
    full: flagField(fields, 'Full', false),
    start: flagField(fields, 'Start', true),
    by,
  };
}
