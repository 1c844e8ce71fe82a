/** Power actions on a machine, refused with a clear reason when the machine's state does not allow them. */
import {
  allowedActions,
  isActionAllowed,
  isMachineAction,
  MACHINE_ACTIONS,
  type MachineAction,
  type PowerMethod,
} from '../../core/actions.js';
import type { LibvirtStateName } from '../../core/machine.js';
import { ServiceError } from '../../core/service-error.js';
import {
  DomainDestroyFlags,
  DomainRebootFlags,
  DomainShutdownFlags,
  ErrorCode,
  isLibvirtError,
  type Domain,
} from '../../libvirt/index.js';

/** How long a guest agent has to answer its ping before a shutdown or reboot goes by ACPI. */
export const AGENT_PING_MS = 2_000;
/** How long the agent has to take a shutdown or reboot once it answered its ping. */
const AGENT_POWER_MS = 10_000;

export function assertActionAllowed(machineName: string, state: LibvirtStateName, action: MachineAction): void {
  if (!isMachineAction(action)) {
    throw new ServiceError(
      'bad-request',
      `unknown action '${String(action)}' requested; allowed are ${MACHINE_ACTIONS.join(', ')}`,
    );
  }
  if (isActionAllowed(action, state)) return;
  const allowed = allowedActions(state);
  throw new ServiceError(
    'bad-request',
    `cannot ${action} machine ${machineName}: it is ${state}; ` +
      (allowed.length > 0 ? `allowed now: ${allowed.join(', ')}` : 'no action is allowed in that state'),
  );
}

/** Does the action; for a shutdown or reboot, says how it reached the guest. */
export async function performAction(domain: Domain, action: MachineAction): Promise<PowerMethod | undefined> {
  switch (action) {
    case 'start':
      return domain.start().then(() => undefined);
    // A hard power-off, as 0.6's stop.
    case 'stop':
      return domain.destroy({ flags: DomainDestroyFlags.DEFAULT }).then(() => undefined);
    case 'shutdown':
    case 'reboot':
      return guestPower(domain, action);
    case 'pause':
      return domain.suspend().then(() => undefined);
    case 'resume':
      return domain.resume().then(() => undefined);
  }
}

/**
 * Through the guest agent when it answers its ping (on the agent's own connection, within its
 * deadline), else the ACPI power button — named explicitly, so libvirt never tries a hung agent
 * on the hypervisor's main connection first. A driver without agents at all (NO_SUPPORT: the
 * test driver) gets its default, which is all it takes.
 */
async function guestPower(domain: Domain, action: 'shutdown' | 'reboot'): Promise<PowerMethod> {
  const agent = domain.agent();
  let driverHasAgents = true;
  let answered = false;
  try {
    await agent.ping({ timeoutMs: AGENT_PING_MS });
    answered = true;
    await (action === 'shutdown' ? agent.shutdown({ timeoutMs: AGENT_POWER_MS }) : agent.reboot({ timeoutMs: AGENT_POWER_MS }));
    return 'agent';
  } catch (err) {
    if (isLibvirtError(err, ErrorCode.NO_SUPPORT)) driverHasAgents = false;
    // An agent that answered and then failed a reboot may have started it: a second one by ACPI
    // could reboot the guest twice. A shutdown asked twice is still one shutdown.
    else if (answered && action === 'reboot') throw err;
  }
  const flags = driverHasAgents ? DomainShutdownFlags.ACPI_POWER_BTN : DomainShutdownFlags.DEFAULT;
  if (action === 'shutdown') await domain.shutdown({ flags });
  else await domain.reboot({ flags: driverHasAgents ? DomainRebootFlags.ACPI_POWER_BTN : DomainRebootFlags.DEFAULT });
  return driverHasAgents ? 'acpi' : 'driver';
}
