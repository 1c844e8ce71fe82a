/** The API's JSON for snapshots (new in this panel; 0.6 had none). */
import type { MachineSnapshot, SnapshotList } from '../../core/snapshots.js';

export interface SnapshotJson {
  Name: string;
  Description: string;
  Created: string;
  /** The machine's state when it was taken. */
  State: string;
  /** Whether it holds the machine's memory (taken while running). */
  Memory: boolean;
  Parent: string;
}

export function snapshotToJson(snapshot: MachineSnapshot): SnapshotJson {
  return {
    Name: snapshot.name,
    Description: snapshot.description,
    Created: snapshot.createdAt.toISOString(),
    State: snapshot.state,
    Memory: snapshot.withMemory,
    Parent: snapshot.parent ?? '',
  };
}

export function snapshotListToJson(list: SnapshotList): Record<string, unknown> {
  return {
    Machine: { Provider: list.machine.provider, Id: list.machine.id, Name: list.machine.name, State: list.machine.state },
    Snapshots: list.snapshots.map(snapshotToJson),
    Unsupported: list.unsupported ?? '',
    Title: `Snapshots of ${list.machine.name}`,
  };
}
