/**
 * A clone from a form or JSON: `Name` (the clone's), `Full` (a full copy even of an overlay
 * disk; default false), `Start` (start it once made; default true). Only the shape is checked
 * here; the machine service checks the name.
 */
import type { TSchema } from '@sinclair/typebox';
import type { CloneField, CloneMachineRequest } from '../core/requests.js';
import type { ParsedBody } from './body.js';
import { bodySchema, Field, readBodyFields } from './request-schema.js';

export const CLONE_BODY = {
  schema: bodySchema({
    Name: Field.text("The clone's name: a hostname label (1 to 63 of a-z, 0-9 and -)."),
    Full: Field.flag('A full copy of the disk even when it is an overlay of an image.', false),
    Start: Field.flag('Start the clone once it is made.', true),
  } satisfies Record<CloneField, TSchema>),
};

export function cloneRequestFromBody(body: ParsedBody, provider: string, id: string, by: string): CloneMachineRequest {
  const { Name, Full, Start } = readBodyFields(body, CLONE_BODY);
  return { provider, id, name: Name ?? '', full: Full ?? false, start: Start ?? true, by };
}
