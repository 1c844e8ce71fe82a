/**
 * Snapshot requests from a form (the machine page) or JSON (the API): a create names the snapshot
 * (`Name`, optional: a name from the time) and describes it (`Description`); a revert of a
 * running machine must say `Force` (true), since it discards what the machine did since.
 * Only the shape is checked here; the values are the snapshot service's to check.
 */
import type { ParsedBody } from './body.js';
import { bodySchema, Field, readBodyFields } from './request-schema.js';

export const SNAPSHOT_CREATE_BODY = {
  schema: bodySchema({
    Name: Field.text('1 to 64 letters, digits and . _ - (not starting with .); absent: snap-YYYYMMDD-HHMMSS.'),
    Description: Field.text('At most 1024 characters, without control characters.'),
  }),
};

export const SNAPSHOT_REVERT_BODY = {
  schema: bodySchema({
    Force: Field.flag('Revert a running machine (what it did since the snapshot is lost).', false),
  }),
};

export function snapshotCreateFromBody(body: ParsedBody): { name: string; description: string } {
  const { Name, Description } = readBodyFields(body, SNAPSHOT_CREATE_BODY);
  return { name: Name ?? '', description: Description ?? '' };
}

export function snapshotRevertFromBody(body: ParsedBody): { force: boolean } {
  return { force: readBodyFields(body, SNAPSHOT_REVERT_BODY).Force ?? false };
}
