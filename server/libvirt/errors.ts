import { LIBVIRT_ERROR_CODE_NAMES, LIBVIRT_ERROR_DOMAIN_NAMES } from './error-codes.js';

/**
 * Error codes: libvirt's own (virErrorNumber) plus negative codes for failures
 * this binding detects itself (deadline passed, connection lost or closed).
 */
export const ErrorCode = {
  INTERNAL_ERROR: 1,
  NO_SUPPORT: 3,
  NO_CONNECT: 5,
  INVALID_ARG: 8,
  OPERATION_FAILED: 9,
  XML_ERROR: 27,
  /** Malformed XML (a parse error); XML_ERROR is XML that parses but is not a valid description. */
  XML_DETAIL: 35,
  DOM_EXIST: 28,
  SYSTEM_ERROR: 38,
  RPC: 39,
  NO_DOMAIN: 42,
  NO_NETWORK: 43,
  AUTH_FAILED: 45,
  NO_STORAGE_POOL: 49,
  NO_STORAGE_VOL: 50,
  OPERATION_INVALID: 55,
  OPERATION_TIMEOUT: 68,
  OPERATION_ABORTED: 78,
  NO_DOMAIN_SNAPSHOT: 72,
  /** A flag or argument this driver does not support (e.g. NVRAM on the test driver). */
  ARGUMENT_UNSUPPORTED: 74,
  NO_DOMAIN_METADATA: 80,
  STORAGE_VOL_EXIST: 90,
  /** The guest agent did not answer (not running, hung, or its channel missing). */
  AGENT_UNRESPONSIVE: 86,
  /** The guest agent answered out of step (libvirt's guest-sync failed). */
  AGENT_UNSYNCED: 97,
  /** Our deadline (timeoutMs) passed before libvirt answered. */
  TIMEOUT: -1000,
  /** The connection's close callback fired (keepalive timeout, EOF, error). */
  CONNECTION_LOST: -1001,
  /** close() was called on this connection. */
  CONNECTION_CLOSED: -1002,
  /** A native failure outside libvirt (e.g. a bad argument caught by the binding). */
  BINDING_ERROR: -1,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

const OWN_CODE_NAMES: Record<number, string> = {
  [ErrorCode.TIMEOUT]: 'TIMEOUT',
  [ErrorCode.CONNECTION_LOST]: 'CONNECTION_LOST',
  [ErrorCode.CONNECTION_CLOSED]: 'CONNECTION_CLOSED',
  [ErrorCode.BINDING_ERROR]: 'BINDING_ERROR',
};

export function errorCodeName(code: number): string {
  return OWN_CODE_NAMES[code] ?? LIBVIRT_ERROR_CODE_NAMES[code] ?? `UNKNOWN_${code}`;
}

export function errorDomainName(domain: number): string {
  return LIBVIRT_ERROR_DOMAIN_NAMES[domain] ?? `UNKNOWN_${domain}`;
}

export class LibvirtError extends Error {
  override readonly name = 'LibvirtError';
  readonly code: number;
  readonly codeName: string;
  /** libvirt's virErrorDomain number (which subsystem reported it); 0 for our own codes. */
  readonly domain: number;
  readonly domainName: string;
  /** The native call that failed, e.g. "domainStart". */
  readonly call: string | undefined;

  constructor(code: number, message: string, options: { domain?: number; call?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.codeName = errorCodeName(code);
    this.domain = options.domain ?? 0;
    this.domainName = errorDomainName(this.domain);
    this.call = options.call;
  }

  /** True when the connection itself is unusable (lost, closed, RPC/system failure, no connect). */
  get isConnectionError(): boolean {
    return isConnectionErrorCode(this.code);
  }
}

export function isConnectionErrorCode(code: number): boolean {
  return (
    code === ErrorCode.CONNECTION_LOST ||
    code === ErrorCode.CONNECTION_CLOSED ||
    code === ErrorCode.NO_CONNECT ||
    code === ErrorCode.SYSTEM_ERROR ||
    code === ErrorCode.RPC
  );
}

export function isLibvirtError(err: unknown, code?: number): err is LibvirtError {
  return err instanceof LibvirtError && (code === undefined || err.code === code);
}

/** Converts whatever the native layer threw or rejected with into a LibvirtError. */
export function toLibvirtError(err: unknown, call: string): LibvirtError {
  if (err instanceof LibvirtError) return err;
  if (err instanceof Error) {
    const native = err as Error & { code?: unknown; domain?: unknown };
    if (typeof native.code === 'number') {
      return new LibvirtError(native.code, err.message, {
        domain: typeof native.domain === 'number' ? native.domain : 0,
        call,
      });
    }
    // A TypeError from the binding's argument checks.
    return new LibvirtError(ErrorCode.INVALID_ARG, `${call}: ${err.message}`, { call, cause: err });
  }
  return new LibvirtError(ErrorCode.BINDING_ERROR, `${call}: ${String(err)}`, { call });
}
