/**
 * A rebuild from a form or JSON: `Image` (an image id; absent or empty: the machine's own),
 * `SSHKey` (a key name; repeats in a form; in JSON a string or a list, also as `SSHKeys`; absent:
 * the machine's keys), `Userdata` (absent: the machine's). Only the shape is checked here.
 */
import type { RebuildMachineRequest } from '../core/requests.js';
import { REBUILD_FIELDS } from '../core/requests.js';
import type { ParsedBody } from './body.js';
import { HttpError } from './http-error.js';

const IGNORED = new Set(['csrf']);
const ALIASES = new Map<string, (typeof REBUILD_FIELDS)[number]>([
  ...REBUILD_FIELDS.map((field) => [field.toLowerCase(), field] as const),
  ['sshkeys', 'SSHKey'],
]);

function text(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new HttpError(400, `${name} must be text`);
  return value;
}

export function rebuildRequestFromBody(body: ParsedBody, provider: string, id: string, by: string): RebuildMachineRequest {
  const entries: [string, unknown][] =
    body.kind === 'form'
      ? body.fields
      : typeof body.value === 'object' && body.value !== null && !Array.isArray(body.value)
        ? Object.entries(body.value)
        : (() => {
            throw new HttpError(400, `the request body must be a JSON object with ${REBUILD_FIELDS.join(', ')}`);
          })();
  const request: RebuildMachineRequest = { provider, id, by };
  const seen = new Set<string>();
  for (const [name, value] of entries) {
    const key = name.toLowerCase();
    if (IGNORED.has(key)) continue;
    const field = ALIASES.get(key);
    if (!field) throw new HttpError(400, `unknown field "${name.slice(0, 40)}"; the fields are ${REBUILD_FIELDS.join(', ')}`);
    if (field === 'SSHKey') {
      const names = Array.isArray(value) ? value.map((v) => text('SSHKey', v)) : [text('SSHKey', value)];
      request.sshKeys = [...(request.sshKeys ?? []), ...names.filter((n) => n !== '')];
      continue;
    }
    if (seen.has(field)) throw new HttpError(400, `the field ${field} is given twice`);
    seen.add(field);
    if (field === 'Image') {
      const image = text('Image', value);
      if (image !== '') request.image = image;
    } else request.userdata = text('Userdata', value);
  }
  return request;
}
