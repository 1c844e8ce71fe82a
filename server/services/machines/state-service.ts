/** Power actions on a machine, refused with a clear reason when the machine's state does not allow them. */
import { DomainDestroyFlags, DomainShutdownFlags, type Domain } from '../../libvirt/index.js';
import type { LibvirtStateName } from '../../core/machine.js';
import { ServiceError, type MachineAction } from '../../core/services.js';

const RUNNING: readonly LibvirtStateName[] = ['running', 'blocked'];
const STOPPED: readonly LibvirtStateName[] = ['shutoff', 'shutdown', 'crashed'];

/** The libvirt states each action makes sense in. */
const ALLOWED_IN: Record<MachineAction, readonly LibvirtStateName[]> = {
  start: STOPPED,
  stop: [...RUNNING, 'paused', 'pmsuspended', 'shutdown', 'crashed'],
  shutdown: RUNNING,
  reboot: RUNNING,
  pause: RUNNING,
  resume: ['paused'],
};

export function allowedActions(state: LibvirtStateName): MachineAction[] {
  return (Object.keys(ALLOWED_IN) as MachineAction[]).filter((action) => ALLOWED_IN[action].includes(state));
}

export function assertActionAllowed(machineName: string, state: LibvirtStateName, action: MachineAction): void {
  if (!(action in ALLOWED_IN)) {
    throw new ServiceError('bad-request', `unknown action '${String(action)}' requested; allowed are ${Object.keys(ALLOWED_IN).join(', ')}`);
  }
  if (ALLOWED_IN[action].includes(state)) return;
  const allowed = allowedActions(state);
  throw new ServiceError(
    'bad-request',
    `cannot ${action} machine ${machineName}: it is ${state}; ` +
    (allowed.length > 0 ? `allowed now: ${allowed.join(', ')}` : 'no action is allowed in that state'),
  );
}

export async function performAction(domain: Domain, action: MachineAction): Promise<void> {
  switch (action) {
    case 'start': return domain.start();
    // A hard power-off, as 0.6's stop.
    case 'stop': return domain.destroy({ flags: DomainDestroyFlags.DEFAULT });
    case 'shutdown': return domain.shutdown({ flags: DomainShutdownFlags.DEFAULT });
    case 'reboot': return domain.reboot({ flags: 0 });
    case 'pause': return domain.suspend();
    case 'resume': return domain.resume();
  }
}
