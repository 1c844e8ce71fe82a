/** What can be done to a machine's power state, and in which libvirt states each action makes sense. */
import type { LibvirtStateName } from './machine.js';

/**
 * How a shutdown or reboot reached the guest: through its QEMU guest agent when that answers, by
 * the ACPI power button otherwise (or the driver's own way, where the driver has no agent).
 */
export const POWER_METHODS = ['agent', 'acpi', 'driver'] as const;
export type PowerMethod = (typeof POWER_METHODS)[number];

export const MACHINE_ACTIONS = ['start', 'stop', 'shutdown', 'reboot', 'pause', 'resume'] as const;
export type MachineAction = (typeof MACHINE_ACTIONS)[number];

export function isMachineAction(value: unknown): value is MachineAction {
  return (MACHINE_ACTIONS as readonly unknown[]).includes(value);
}

const RUNNING: readonly LibvirtStateName[] = ['running', 'blocked'];
const STOPPED: readonly LibvirtStateName[] = ['shutoff', 'shutdown', 'crashed'];

const ALLOWED_IN: Readonly<Record<MachineAction, readonly LibvirtStateName[]>> = {
  start: STOPPED,
  // stop is a hard power-off (0.6's stop): it also ends a guest that hangs while shutting down.
  stop: [...RUNNING, 'paused', 'pmsuspended', 'shutdown', 'crashed'],
  shutdown: RUNNING,
  reboot: RUNNING,
  pause: RUNNING,
  resume: ['paused'],
};

export function isActionAllowed(action: MachineAction, state: LibvirtStateName): boolean {
  return ALLOWED_IN[action].includes(state);
}

/** The actions a machine in `state` allows, in MACHINE_ACTIONS order. */
export function allowedActions(state: LibvirtStateName): MachineAction[] {
  return MACHINE_ACTIONS.filter((action) => isActionAllowed(action, state));
}
