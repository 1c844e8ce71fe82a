/**
 * The QEMU guest agent of one domain (native/domain_agent.cc). Agent calls wait until the guest
 * answers, so they run on the hypervisor's guest agent connections, never its main one; each has
 * a deadline: `timeoutMs` for the caller (default AGENT_TIMEOUT_MS), and a little less, in whole
 * seconds, handed to libvirt as the guest's deadline so the native thread is freed too.
 *
 * One call at a time per domain (at most MAX_WAITING_PER_DOMAIN more wait their turn, and the
 * wait counts against their deadline): a guest that does not answer holds one agent connection,
 * never all of them, and the next call for it waits until libvirt has given up on the last one.
 */
import { AuthorizedSshKeysFlags, GuestInfoTypes, SetUserPasswordFlags } from './constants.js';
import { ErrorCode, LibvirtError } from './errors.js';
import type { CallOptions, Invoker, NativeArgs } from './invoker.js';
import type { NativeBinding, NativeHandle, NativeMethodName } from './native.js';
import { parseGuestInfo, type GuestInfo } from './guest-info.js';

export type { GuestInfo } from './guest-info.js';
export type {
  GuestUser,
  GuestOs,
  GuestTimezone,
  GuestFilesystem,
  GuestInterface,
  GuestAddress,
  GuestDisk,
} from './guest-info.js';

/** Its arguments as a tuple (a plain array literal would widen to an array). */
const tuple = <T extends unknown[]>(...items: T): T => items;

export const AGENT_TIMEOUT_MS = 10_000;
export const MAX_WAITING_PER_DOMAIN = 16;
/** libvirt gets this much less than the caller's deadline, so it gives up first. */
const LIBVIRT_MARGIN_MS = 1_000;
/** A domain's turn is given up this long after its call's deadline even if the job never reported its end. */
const TURN_RELEASE_SLACK_MS = 30_000;

type AgentMethod = Extract<
  NativeMethodName,
  | 'domainAgentCommand'
  | 'domainGetGuestInfo'
  | 'domainSetUserPassword'
  | 'domainAuthorizedSshKeysGet'
  | 'domainAuthorizedSshKeysSet'
  | 'domainFsFreeze'
  | 'domainFsThaw'
  | 'domainFsTrim'
  | 'domainAgentShutdown'
  | 'domainAgentReboot'
  | 'domainInterfaceAddresses'
>;

export interface AgentInfo {
  version: string;
  /** Commands the agent offers and has enabled. */
  commands: string[];
}

/** Per connection: each domain's queue of agent calls (by UUID). */
const turns = new WeakMap<Invoker, Map<string, DomainTurns>>();

interface DomainTurns {
  busy: boolean;
  waiting: (() => void)[];
}

function turnsOf(connection: Invoker, uuid: string): DomainTurns {
  let byDomain = turns.get(connection);
  if (byDomain === undefined) {
    byDomain = new Map();
    turns.set(connection, byDomain);
  }
  let entry = byDomain.get(uuid);
  if (entry === undefined) {
    entry = { busy: false, waiting: [] };
    byDomain.set(uuid, entry);
  }
  return entry;
}

function checkTimeout(timeoutMs: number | undefined): number {
  const value = timeoutMs ?? AGENT_TIMEOUT_MS;
  if (!Number.isInteger(value) || value < 1_000 || value > 3_600_000) {
    throw new LibvirtError(
      ErrorCode.INVALID_ARG,
      `guest agent timeoutMs must be whole milliseconds from 1000 to 3600000; got ${String(timeoutMs)}`,
    );
  }
  return value;
}

/** The domain an agent belongs to (a Domain; only what the agent needs of it). */
export interface AgentDomain {
  readonly connection: Invoker;
  readonly name: string;
  readonly uuid: string;
  readonly handle: NativeHandle;
}

export class GuestAgent {
  constructor(readonly domain: AgentDomain) {}

  /** guest-ping: resolves when the agent answers. */
  async ping(options?: CallOptions): Promise<void> {
    await this.command({ execute: 'guest-ping' }, options);
  }

  /** guest-info: the agent's version and enabled commands. */
  async info(options?: CallOptions): Promise<AgentInfo> {
    const answer = (await this.command({ execute: 'guest-info' }, options)) as {
      version?: unknown;
      supported_commands?: { name?: unknown; enabled?: unknown }[];
    };
    return {
      version: typeof answer.version === 'string' ? answer.version : '',
      commands: (answer.supported_commands ?? [])
        .filter((c) => c.enabled === true && typeof c.name === 'string')
        .map((c) => c.name as string),
    };
  }

  /** Any agent command (virDomainQemuAgentCommand); resolves with its "return" member. */
  async command(request: { execute: string; arguments?: Record<string, unknown> }, options?: CallOptions): Promise<unknown> {
    if (typeof request.execute !== 'string' || !/^guest-[a-z0-9-]+$/.test(request.execute)) {
      throw new LibvirtError(
        ErrorCode.INVALID_ARG,
        `guest agent command must be a guest-… name; got ${JSON.stringify(request.execute)}`,
      );
    }
    const text = await this.call(
      'domainAgentCommand',
      (sec) => tuple(this.domain.handle, JSON.stringify(request), sec, 0),
      options,
    );
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new LibvirtError(ErrorCode.INTERNAL_ERROR, `the guest agent's answer to ${request.execute} is not JSON`);
    }
    return (parsed as { return?: unknown }).return;
  }

  /** virDomainGetGuestInfo; types: GuestInfoTypes bits (default the kinds guest facts show). */
  async guestInfo(options?: CallOptions & { types?: number }): Promise<GuestInfo> {
    const types =
      options?.types ??
      GuestInfoTypes.USERS |
        GuestInfoTypes.OS |
        GuestInfoTypes.TIMEZONE |
        GuestInfoTypes.HOSTNAME |
        GuestInfoTypes.FILESYSTEM |
        GuestInfoTypes.INTERFACES;
    return parseGuestInfo(await this.call('domainGetGuestInfo', (sec) => tuple(this.domain.handle, types, 0, sec), options));
  }

  /** The guest's addresses as its agent reports them (virDomainInterfaceAddresses, source agent). */
  interfaceAddresses(options?: CallOptions): ReturnType<NativeBinding['domainInterfaceAddresses']> {
    return this.call('domainInterfaceAddresses', (sec) => tuple(this.domain.handle, 1, sec), options);
  }

  /** Sets a guest user's password (plain text, or crypt(3) with encrypted). */
  setUserPassword(user: string, password: string, options?: CallOptions & { encrypted?: boolean }): Promise<void> {
    const flags = options?.encrypted === true ? SetUserPasswordFlags.ENCRYPTED : SetUserPasswordFlags.PLAIN;
    return this.call('domainSetUserPassword', (sec) => tuple(this.domain.handle, user, password, flags, sec), options);
  }

  authorizedSshKeys(user: string, options?: CallOptions): Promise<string[]> {
    return this.call('domainAuthorizedSshKeysGet', (sec) => tuple(this.domain.handle, user, 0, sec), options);
  }

  /** mode: replace the user's keys (default), append to them, or remove these. */
  setAuthorizedSshKeys(
    user: string,
    keys: string[],
    options?: CallOptions & { mode?: 'replace' | 'append' | 'remove' },
  ): Promise<void> {
    const mode = options?.mode ?? 'replace';
    const flags =
      mode === 'append'
        ? AuthorizedSshKeysFlags.APPEND
        : mode === 'remove'
          ? AuthorizedSshKeysFlags.REMOVE
          : AuthorizedSshKeysFlags.REPLACE;
    return this.call('domainAuthorizedSshKeysSet', (sec) => tuple(this.domain.handle, user, keys, flags, sec), options);
  }

  /** Freezes the guest's filesystems (all, or these mountpoints); resolves with how many. */
  fsFreeze(mountpoints: string[] = [], options?: CallOptions): Promise<number> {
    return this.call('domainFsFreeze', (sec) => tuple(this.domain.handle, mountpoints, 0, sec), options);
  }

  fsThaw(mountpoints: string[] = [], options?: CallOptions): Promise<number> {
    return this.call('domainFsThaw', (sec) => tuple(this.domain.handle, mountpoints, 0, sec), options);
  }

  /**
   * Discards unused blocks of the guest's filesystems in pieces of at least minimumBytes. libvirt's
   * QEMU driver (9.0) trims them all: a mountPoint is refused (ARGUMENT_UNSUPPORTED).
   */
  fsTrim(options?: CallOptions & { mountPoint?: string; minimumBytes?: number }): Promise<void> {
    return this.call(
      'domainFsTrim',
      (sec) => tuple(this.domain.handle, options?.mountPoint ?? null, options?.minimumBytes ?? 0, 0, sec),
      options,
    );
  }

  /** Shutdown through the agent only (virDomainShutdownFlags with GUEST_AGENT). */
  shutdown(options?: CallOptions): Promise<void> {
    return this.call('domainAgentShutdown', (sec) => tuple(this.domain.handle, 2, sec), options);
  }

  /** Reboot through the agent only (virDomainReboot with GUEST_AGENT). */
  reboot(options?: CallOptions): Promise<void> {
    return this.call('domainAgentReboot', (sec) => tuple(this.domain.handle, 2, sec), options);
  }

  /** Runs `method` in this domain's turn with the remaining deadline. */
  private async call<M extends AgentMethod>(
    method: M,
    args: (guestTimeoutSec: number) => NoInfer<NativeArgs<M>>,
    options: CallOptions | undefined,
  ): Promise<Awaited<ReturnType<NativeBinding[M]>>> {
    const timeoutMs = checkTimeout(options?.timeoutMs);
    const started = performance.now();
    const connection = this.domain.connection;
    const queue = turnsOf(connection, this.domain.uuid);
    await this.waitTurn(queue, method, timeoutMs);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      clearTimeout(safety);
      const next = queue.waiting.shift();
      if (next !== undefined) {
        next();
        return;
      }
      queue.busy = false;
      turns.get(connection)?.delete(this.domain.uuid);
    };
    const remaining = Math.floor(timeoutMs - (performance.now() - started));
    const safety = setTimeout(release, remaining + TURN_RELEASE_SLACK_MS);
    safety.unref();
    if (remaining < LIBVIRT_MARGIN_MS) {
      release();
      throw new LibvirtError(
        ErrorCode.TIMEOUT,
        `${method} on ${this.domain.name}: the deadline of ${timeoutMs} ms passed while earlier guest agent calls ran`,
        { call: method },
      );
    }
    const guestTimeoutSec = Math.max(1, Math.floor((remaining - LIBVIRT_MARGIN_MS) / 1000));
    return (await connection.invoke(
      method,
      args(guestTimeoutSec),
      { timeoutMs: remaining, signal: options?.signal },
      'ordinary',
      undefined,
      release,
    )) as Awaited<ReturnType<NativeBinding[M]>>;
  }

  private waitTurn(queue: DomainTurns, method: string, timeoutMs: number): Promise<void> {
    if (!queue.busy) {
      queue.busy = true;
      return Promise.resolve();
    }
    if (queue.waiting.length >= MAX_WAITING_PER_DOMAIN) {
      return Promise.reject(
        new LibvirtError(
          ErrorCode.OPERATION_FAILED,
          `${method} on ${this.domain.name}: ${MAX_WAITING_PER_DOMAIN} guest agent calls are already waiting for this machine`,
          { call: method },
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const turn = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const index = queue.waiting.indexOf(turn);
        if (index >= 0) queue.waiting.splice(index, 1);
        reject(
          new LibvirtError(
            ErrorCode.TIMEOUT,
            `${method} on ${this.domain.name} did not get its turn within ${timeoutMs} ms (an earlier guest agent call is still waiting for the guest)`,
            { call: method },
          ),
        );
      }, timeoutMs);
      timer.unref();
      queue.waiting.push(turn);
    });
  }
}
