/**
 * Opening machines' consoles: the serial console through libvirt (virDomainOpenConsole on a side
 * connection of the console's own: libvirt/console.ts), the VNC display through a channel to the
 * hypervisor host (SSH with libvirt's identity, or direct for local URIs: hypervisors/display-channels.ts).
 * Tickets are signed here (console-tickets.ts); the HTTP layer checks who presents them.
 */
import type { Config, HypervisorConfig } from '../../config/index.js';
import type {
  ConsoleChannel,
  ConsoleHolder,
  ConsoleService,
  ConsoleTicket,
  OpenConsoleRequest,
  RedeemResult,
} from '../../core/consoles.js';
import { isConsoleKind, CONSOLE_KINDS } from '../../core/consoles.js';
import type { Logger } from '../../core/log.js';
import { machineIdFromUuid } from '../../core/machine-id.js';
import { ServiceError } from '../../core/service-error.js';
import type { MachineService } from '../../core/services.js';
import type { ConnectionManager } from '../../hypervisors/connection-manager.js';
import { DisplayChannels, hostRouteOf, TunnelError } from '../../hypervisors/display-channels.js';
import { ProviderAccess } from '../../hypervisors/provider-access.js';
import { RETRY_AFTER_SECONDS } from '../../hypervisors/provider-errors.js';
import { ConsoleFlags, ErrorCode, LibvirtError, type Connection, type Domain } from '../../libvirt/index.js';
import { parseDomainXml } from '../machines/domain-xml.js';
import { assertMachineId, lookupDomain } from '../machines/lookup-domain.js';
import { ConsoleTickets } from './console-tickets.js';
import { UsedTickets } from './used-tickets.js';
import { vncTarget } from './vnc-target.js';

/** Consoles open at once on the whole panel; each holds a libvirt connection or an SSH channel. */
export const MAX_OPEN_CONSOLES = 128;

export interface ConsoleServiceDeps {
  config: Pick<Config, 'hypervisors' | 'sessionSecret' | 'stateDir'>;
  hypervisors: ConnectionManager<Connection>;
  machines: Pick<MachineService, 'getMachine'>;
  logger: Logger;
  /** Tests shorten it; 30 s otherwise. */
  ticketLifetimeMs?: number;
  maxOpen?: number;
}

export interface ConsoleServiceHandle extends ConsoleService {
  /** Consoles open now. */
  openCount(): number;
}

export function createConsoleService(deps: ConsoleServiceDeps): ConsoleServiceHandle {
  const { config, hypervisors, machines, logger } = deps;
  const access = new ProviderAccess(config.hypervisors, hypervisors);
  const used = new UsedTickets({ stateDir: config.stateDir, logger });
  const tickets = new ConsoleTickets({ secret: config.sessionSecret, used, lifetimeMs: deps.ticketLifetimeMs });
  const displays = new DisplayChannels(logger);
  const maxOpen = deps.maxOpen ?? MAX_OPEN_CONSOLES;
  const open = new Set<ConsoleChannel>();

  function checkRequest(request: OpenConsoleRequest): HypervisorConfig {
    if (!isConsoleKind(request.kind)) {
      throw new ServiceError(
        'bad-request',
        `unknown console kind '${String(request.kind).slice(0, 40)}'; allowed are ${CONSOLE_KINDS.join(', ')}`,
      );
    }
    if (request.force !== undefined && typeof request.force !== 'boolean') {
      throw new ServiceError('bad-request', 'force must be true or false');
    }
    const hv = access.config(request.provider);
    assertMachineId(request.provider, request.id);
    return hv;
  }

  async function issueTicket(request: OpenConsoleRequest, holder: ConsoleHolder): Promise<ConsoleTicket> {
    checkRequest(request);
    const machine = await machines.getMachine(request.provider, request.id);
    assertRunning(machine.name, machine.state);
    // The serial console opens on a connection of its own: open it now, while the page connects.
    if (request.kind === 'serial') {
      try {
        hypervisors.get(request.provider).warmConsole();
      } catch {
        // unavailable: opening will say so
      }
    }
    return tickets.issue({ ...request, id: machine.id, name: machine.name, force: request.force === true, holder });
  }

  function redeemTicket(ticket: string, presenter: ConsoleHolder): RedeemResult {
    return tickets.redeem(ticket, presenter);
  }

  async function openConsole(request: OpenConsoleRequest): Promise<ConsoleChannel> {
    const hv = checkRequest(request);
    if (open.size >= maxOpen) {
      throw new ServiceError(
        'unavailable',
        `too many consoles are open on this panel (at most ${maxOpen}); close one and try again`,
        {
          retryAfterSeconds: RETRY_AFTER_SECONDS,
        },
      );
    }
    const doing = `open the ${request.kind} console of machine ${request.id}`;
    const channel = await access.run(request.provider, doing, async (conn) => {
      const domain = await lookupDomain(conn, hv, request.id);
      const { state } = await domain.getState();
      assertRunning(
        domain.name,
        state === 'paused' ? 'paused' : state === 'running' || state === 'blocked' ? 'running' : 'stopped',
      );
      return request.kind === 'serial'
        ? openSerial(domain, hv, request.force === true)
        : openVnc(domain, hv, await domain.getXmlDesc());
    });
    open.add(channel);
    channel.stream.once('close', () => open.delete(channel));
    return channel;
  }

  async function openSerial(domain: Domain, hv: HypervisorConfig, force: boolean): Promise<ConsoleChannel> {
    let session;
    try {
      session = await domain.openConsole({ flags: force ? ConsoleFlags.FORCE : ConsoleFlags.SAFE, timeoutMs: hv.callTimeoutMs });
    } catch (err) {
      throw serialRefusal(err, domain.name) ?? err;
    }
    return {
      kind: 'serial',
      provider: hv.name,
      id: machineIdFromUuid(domain.uuid),
      name: domain.name,
      stream: session,
      close: (reason) => session.close(reason),
    };
  }

  async function openVnc(domain: Domain, hv: HypervisorConfig, xml: string): Promise<ConsoleChannel> {
    // libvirt's test driver invents displays: nothing listens there (or something else does).
    if (hv.url.startsWith('test:')) {
      throw new ServiceError(
        'unsupported',
        `the hypervisor of machine ${domain.name} (libvirt's test driver) has no real displays`,
      );
    }
    const target = vncTarget(domain.name, hv.name, parseDomainXml(xml).graphics, hostRouteOf(hv.url));
    let stream;
    try {
      stream = await displays.open(hv.name, hv.url, target, hv.callTimeoutMs);
    } catch (err) {
      if (err instanceof TunnelError) {
        throw new ServiceError(
          'unavailable',
          `cannot reach the VNC display of machine ${domain.name} on provider ${hv.name}: ${err.message}`,
          {
            retryAfterSeconds: RETRY_AFTER_SECONDS,
          },
        );
      }
      throw err;
    }
    return {
      kind: 'vnc',
      provider: hv.name,
      id: machineIdFromUuid(domain.uuid),
      name: domain.name,
      stream,
      close: () => stream.destroy(),
    };
  }

  return {
    issueTicket,
    redeemTicket,
    open: openConsole,
    openCount: () => open.size,
    close: () => {
      for (const channel of open) channel.close('the panel is shutting down');
      open.clear();
      displays.close();
      used.close();
    },
  };
}

function assertRunning(machine: string, state: string): void {
  if (state === 'running' || state === 'paused') return;
  throw new ServiceError('bad-request', `machine ${machine} is ${state}: start it to use its console`);
}

/** The refusal a failed virDomainOpenConsole means, when it is one. */
function serialRefusal(err: unknown, machine: string): ServiceError | undefined {
  if (!(err instanceof LibvirtError)) return undefined;
  if (err.code === ErrorCode.OPERATION_FAILED && /active console session/i.test(err.message)) {
    return new ServiceError(
      'conflict',
      `another client has the serial console of machine ${machine} open; open it with force to take it over (that client is disconnected)`,
    );
  }
  if (/cannot find (character|console) device|no console devices/i.test(err.message)) {
    return new ServiceError(
      'bad-request',
      `machine ${machine} has no serial console (its domain has no <console> or <serial> device)`,
    );
  }
  if (err.code === ErrorCode.NO_SUPPORT) {
    return new ServiceError('unsupported', `the hypervisor of machine ${machine} cannot open consoles: ${err.message}`);
  }
  if (err.code === ErrorCode.OPERATION_INVALID && /not running/i.test(err.message)) {
    return new ServiceError('bad-request', `machine ${machine} is not running: start it to use its console`);
  }
  return undefined;
}
