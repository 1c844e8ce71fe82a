/** Power actions on a machine, refused with a clear reason when the machine's state does not allow them. */
import { allowedActions, isActionAllowed, isMachineAction, MACHINE_ACTIONS, type MachineAction } from '../../core/actions.js';
import type { LibvirtStateName } from '../../core/machine.js';
import { ServiceError } from '../../core/service-error.js';
import { DomainDestroyFlags, DomainShutdownFlags, type Domain } from '../../libvirt/index.js';

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

export async function performAction(domain: Domain, action: MachineAction): Promise<void> {
  switch (action) {
    case 'start':
      return domain.start();
    // A hard power-off, as 0.6's stop.
    case 'stop':
      return domain.destroy({ flags: DomainDestroyFlags.DEFAULT });
    case 'shutdown':
      return domain.shutdown({ flags: DomainShutdownFlags.DEFAULT });
    case 'reboot':
      return domain.reboot({ flags: 0 });
    case 'pause':
      return domain.suspend();
    case 'resume':
      return domain.resume();
  }
}
