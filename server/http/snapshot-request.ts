/**
 * Snapshot requests from a form (the machine page) or JSON (the API): a create names the snapshot
 * (`Name`, optional: a name from the time) and describes it (`Description`); a revert of a
 * running machine must say `Force` (true), since it discards what the machine did since.
 * Only the shape is checked here; the values are the snapshot service's to check.
 */
import type { ParsedBody } from './body.js';
import { flagField, requestFields, textField } from './request-fields.js';

export function snapshotCreateFromBody(body: ParsedBody): { name: string; description: string } {
  const fields = requestFields(body, ['Name', 'Description']);
  return { name: textField(fields, 'Name'), description: textField(fields, 'Description') };
}

export function snapshotRevertFromBody(body: ParsedBody): { force: boolean } {
  return { force: flagField(requestFields(body, ['Force']), 'Force', false) };
}
