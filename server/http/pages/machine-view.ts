/** What the pages (and the live events) show of a machine; missing facts read "unknown". */
import type { Machine } from '../../core/machine.js';
import { allowedActions, MACHINE_ACTIONS, type MachineAction } from '../../core/actions.js';
import { humanBytes } from './format.js';

export interface ActionView {
  action: MachineAction;
  label: string;
  /** Destructive or disruptive: goes through a confirmation page. */
  confirm: boolean;
  danger: boolean;
}

const ACTION_LABELS: Record<MachineAction, string> = {
  start: 'Start',
  stop: 'Power off',
  shutdown: 'Shut down',
  reboot: 'Reboot',
  pause: 'Pause',
  resume: 'Resume',
};
const CONFIRMED: readonly MachineAction[] = ['stop', 'reboot'];

export function actionLabel(action: MachineAction): string {
  return ACTION_LABELS[action];
}

export function needsConfirmation(action: MachineAction): boolean {
  return CONFIRMED.includes(action);
}

/** Every action, in display order, with whether the machine's state allows it now. */
export function actionViews(machine: Pick<Machine, 'libvirtState'>): (ActionView & { allowed: boolean })[] {
  const allowed = allowedActions(machine.libvirtState);
  return MACHINE_ACTIONS.map((action) => ({
    action,
    label: ACTION_LABELS[action],
    confirm: needsConfirmation(action),
    danger: action === 'stop',
    allowed: allowed.includes(action),
  }));
}

/** The compact form sent to browsers by the live events and used by list rows. */
export interface MachineSummary {
  provider: string;
  id: string;
  name: string;
  state: Machine['state'];
  libvirtState: Machine['libvirtState'];
  ip: string;
  cpus: number;
  memory: string;
  memoryBytes: number;
  plan: string;
  image: string;
  actions: MachineAction[];
  url: string;
  tags: readonly string[];
  label?: { name: string; colour: string };
}

export function machineUrl(provider: string, id: string): string {
  return `/machines/${encodeURIComponent(provider)}/${encodeURIComponent(id)}/`;
}

export function machineSummary(machine: Machine): MachineSummary {
  return {
    provider: machine.provider,
    id: machine.id,
    name: machine.name,
    state: machine.state,
    libvirtState: machine.libvirtState,
    ip: machine.ip?.address ?? '',
    cpus: machine.cpus,
    memory: machine.memoryBytes > 0 ? humanBytes(machine.memoryBytes) : 'unknown',
    memoryBytes: machine.memoryBytes,
    plan: machine.plan,
    image: machine.imageId,
    actions: allowedActions(machine.libvirtState),
    url: machineUrl(machine.provider, machine.id),
    tags: machine.properties.tags,
    ...(machine.properties.label ? { label: machine.properties.label } : {}),
  };
}
