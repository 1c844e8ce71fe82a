/**
 * Machine snapshots (internal qcow2 snapshots: libvirt 9.0 cannot revert external ones). A running
 * machine's snapshot holds its disks and its memory, so a revert brings it back running where it
 * was; a stopped machine's holds its disks.
 */
import type { MachineState } from './machine.js';

export const SNAPSHOT_NAME_RULE = 'a snapshot name is 1–64 letters, digits and . _ -, starting with a letter or digit';
const SNAPSHOT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MAX_SNAPSHOT_DESCRIPTION = 1024;

export function isSnapshotName(value: string): boolean {
  return typeof value === 'string' && SNAPSHOT_NAME.test(value);
}

export interface MachineSnapshot {
  name: string;
  description: string;
  createdAt: Date;
  /** The machine's state when the snapshot was taken. */
  state: MachineState;
  /** Whether it holds the machine's memory (taken while running). */
  withMemory: boolean;
  /** The snapshot it was taken on top of, if any. */
  parent?: string;
}

export interface CreateSnapshotRequest {
  provider: string;
  id: string;
  /** Unchecked; the service checks it against SNAPSHOT_NAME_RULE. '' picks a name from the time. */
  name: string;
  description: string;
  /** Who asks, for the log. */
  by: string;
}

export interface SnapshotRef {
  provider: string;
  id: string;
  name: string;
  by: string;
}

export interface RevertSnapshotRequest extends SnapshotRef {
  /** A running machine loses what it did since the snapshot: the caller must say so. */
  force: boolean;
}

export interface SnapshotList {
  machine: { provider: string; id: string; name: string; state: MachineState };
  snapshots: MachineSnapshot[];
  /** Why this machine cannot be snapshotted, when it cannot (a raw disk, UEFI on this libvirt). */
  unsupported?: string;
}

/** The snapshot operations, behind the machine service's locks. */
export interface SnapshotService {
  listSnapshots(provider: string, id: string): Promise<SnapshotList>;
  createSnapshot(request: CreateSnapshotRequest): Promise<MachineSnapshot>;
  revertSnapshot(request: RevertSnapshotRequest): Promise<MachineSnapshot>;
  deleteSnapshot(request: SnapshotRef): Promise<void>;
}
