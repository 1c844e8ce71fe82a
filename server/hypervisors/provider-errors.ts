/** Turning whatever a hypervisor call threw into the ServiceError the HTTP layer answers with. */
import { ErrorCode, LibvirtError } from '../libvirt/index.js';
import { ServiceError } from '../core/service-error.js';
import { HypervisorUnavailableError, UnknownHypervisorError } from './connection-manager.js';

/** Seconds a client should wait before retrying a request that met an unavailable hypervisor. */
export const RETRY_AFTER_SECONDS = 5;

const LOST_CODES: ReadonlySet<number> = new Set([
  ErrorCode.TIMEOUT,
  ErrorCode.CONNECTION_LOST,
  ErrorCode.CONNECTION_CLOSED,
  ErrorCode.NO_CONNECT,
  ErrorCode.RPC,
]);

/**
 * True when the error means the hypervisor itself cannot be reached in time (not that the request
 * failed there). SYSTEM_ERROR is left out: libvirt also reports the host's own errno failures with
 * it (e.g. "Cannot access storage file"), and a transport that really died fires the close event.
 */
export function isHypervisorLost(err: unknown): err is LibvirtError {
  return err instanceof LibvirtError && LOST_CODES.has(err.code);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The ServiceError for `err`. `doing` completes "failed to …" for errors that are neither a
 * ServiceError already nor the hypervisor's absence, e.g. "start machine web-1".
 */
export function toServiceError(provider: string, err: unknown, doing: string): ServiceError {
  if (err instanceof ServiceError) return err;
  if (err instanceof UnknownHypervisorError) return new ServiceError('not-found', err.message);
  if (err instanceof HypervisorUnavailableError) {
    return new ServiceError('unavailable', `provider '${provider}' is unavailable: ${err.status.error ?? err.status.state}`, {
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    });
  }
  if (isHypervisorLost(err)) {
    return new ServiceError('unavailable', `provider '${provider}' did not answer: ${err.message}`, {
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    });
  }
  return new ServiceError('internal', `failed to ${doing}: ${errorMessage(err)}`);
}
