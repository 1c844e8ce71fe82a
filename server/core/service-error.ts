/**
 * How services refuse or fail a request: a kind (which the HTTP layer maps to a status), a message
 * safe to show (vmango 0.6's wording where 0.6 had one), and the request fields it is about, so a
 * form can put the message next to its field without reading the message.
 */
import type { Permission } from './permissions.js';
import type { QuotaResource } from './quota.js';
import type { RequestField } from './requests.js';

export const SERVICE_ERROR_KINDS = [
  'bad-request', // invalid name, unknown plan/image/ssh key, userdata too large, action not allowed now
  'forbidden', // the user lacks a permission on the target, or the request would pass a quota
  'not-found', // unknown provider or machine
  'conflict', // a machine with that name exists
  'unsupported', // the hypervisor cannot do this (the test driver cannot create machines)
  'unavailable', // the hypervisor is unavailable or did not answer in time
  'internal', // anything unexpected; the message is logged, never shown
] as const;
export type ServiceErrorKind = (typeof SERVICE_ERROR_KINDS)[number];

export interface ServiceErrorOptions {
  /** The request fields the error is about, in the order the message names them. */
  fields?: readonly RequestField[];
  /** Seconds after which retrying may help ('unavailable'). */
  retryAfterSeconds?: number;
  /** 'forbidden': the permission the user lacked. */
  permission?: Permission;
  /** 'forbidden': the quota resources the request would pass. */
  quota?: readonly QuotaResource[];
  cause?: unknown;
}

export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  readonly fields: readonly RequestField[];
  readonly retryAfterSeconds?: number;
  readonly permission?: Permission;
  readonly quota?: readonly QuotaResource[];

  constructor(
    readonly kind: ServiceErrorKind,
    message: string,
    options: ServiceErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.fields = options.fields ?? [];
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
    if (options.permission !== undefined) this.permission = options.permission;
    if (options.quota !== undefined) this.quota = options.quota;
  }
}
