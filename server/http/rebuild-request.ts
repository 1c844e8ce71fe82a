/**
 * A rebuild from a form or JSON: `Image` (an image id; absent or empty: the machine's own),
 * `SSHKey` (a key name; repeats in a form; in JSON a string or a list, also as `SSHKeys`; absent:
 * the machine's keys), `Userdata` (absent: the machine's). Only the shape is checked here.
 */
import type { TSchema } from '@sinclair/typebox';
import type { RebuildField, RebuildMachineRequest } from '../core/requests.js';
import type { ParsedBody } from './body.js';
import { bodySchema, Field, readBodyFields } from './request-schema.js';

export const REBUILD_BODY = {
  schema: bodySchema({
    Image: Field.text("An image id (GET /api/images/); absent or empty: the machine's own image."),
    SSHKey: Field.list("SSH key names (GET /api/keys/), one or a list (also spelled SSHKeys); absent: the machine's keys."),
    Userdata: Field.text("Cloud-init userdata; absent: the machine's."),
  } satisfies Record<RebuildField, TSchema>),
  jsonAliases: { SSHKeys: 'SSHKey' },
};

export function rebuildRequestFromBody(body: ParsedBody, provider: string, id: string, by: string): RebuildMachineRequest {
  const { Image, SSHKey, Userdata } = readBodyFields(body, REBUILD_BODY);
  const request: RebuildMachineRequest = { provider, id, by };
  if (SSHKey !== undefined) request.sshKeys = (Array.isArray(SSHKey) ? SSHKey : [SSHKey]).filter((name) => name !== '');
  if (Image) request.image = Image;
  if (Userdata !== undefined) request.userdata = Userdata;
  return request;
}
