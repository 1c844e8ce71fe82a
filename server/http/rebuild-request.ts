/**
 * A rebuild from a form or JSON: `Image` (an image id; absent or empty: the machine's own),
 * `SSHKey` (a key name; repeats in a form; in JSON a string or a list, also as `SSHKeys`; absent:
 * the machine's keys), `Userdata` (absent: the machine's). Only the shape is checked here.
 */
import type { RebuildMachineRequest } from '../core/requests.js';
import { REBUILD_FIELDS } from '../core/requests.js';
import type { ParsedBody } from './body.js';
import { HttpError } from './http-error.js';
import { requestFieldValues, textField } from './request-fields.js';

function keyName(value: unknown): string {
  if (typeof value !== 'string') throw new HttpError(400, 'SSHKey must be text');
  return value;
}

export function rebuildRequestFromBody(body: ParsedBody, provider: string, id: string, by: string): RebuildMachineRequest {
  const values = requestFieldValues(body, REBUILD_FIELDS, { repeatable: ['SSHKey'], jsonAliases: { SSHKeys: 'SSHKey' } });
  const single = new Map([...values].map(([field, given]) => [field, given[0]]));
  const request: RebuildMachineRequest = { provider, id, by };
  const keys = values.get('SSHKey');
  if (keys !== undefined) {
    const names = keys.flatMap((value) => (Array.isArray(value) ? (value as unknown[]) : [value]));
    request.sshKeys = names.map(keyName).filter((name) => name !== '');
  }
  const image = textField(single, 'Image');
  if (image !== '') request.image = image;
  if (single.has('Userdata')) request.userdata = textField(single, 'Userdata');
  return request;
}
