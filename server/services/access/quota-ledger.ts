/**
 * What each user holds against their quota: their machines as listed, plus the creates (and
 * clones, and resizes) still under way. The check and the reservation happen under one lock per
 * user, so concurrent creates by one user never pass the quota together; the reservation stays
 * until the machine shows in the list (or the work fails), so nothing is counted twice or missed.
 */
import { ownerOf } from '../../core/machine-properties.js';
import type { Machine } from '../../core/machine.js';
import { addUse, exceeded, NO_USE, QUOTA_KEYS, type Quota, type QuotaUse } from '../../core/quota.js';
import { ServiceError } from '../../core/service-error.js';
import { KeyedMutex } from '../machines/keyed-lock.js';

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;

export interface Reservation {
  /** The machine it is for: it stops counting once the list holds a machine with this key. */
  key: string;
  use: QuotaUse;
  /** For a resize: the machine's use before, which the reservation replaces. */
  replaces?: QuotaUse;
}

export interface MachineSize {
  cpus: number;
  memoryBytes: number;
  diskBytes: number;
}

export function useOf(size: MachineSize): QuotaUse {
  return {
    machines: 1,
    cpus: size.cpus,
    memoryMiB: Math.ceil(size.memoryBytes / MIB),
    diskGiB: Math.ceil(size.diskBytes / GIB),
  };
}

export function machineKey(provider: string, name: string): string {
  return `${provider}\u0000${name}`;
}

export class QuotaLedger {
  private readonly locks = new KeyedMutex();
  private readonly reserved = new Map<string, Set<Reservation & { done: boolean }>>();

  constructor(
    /** Every machine on every hypervisor, as listed now. */
    private readonly listAll: () => Promise<readonly Machine[]>,
    /** A machine's disk size when the list does not know it (its plan's). */
    private readonly diskBytesOf: (machine: Machine) => number,
  ) {}

  /** What the user's machines and unfinished reservations take now. */
  async use(user: string): Promise<QuotaUse> {
    return this.count(user, await this.listAll());
  }

  /**
   * Checks that `reservation` fits the user's quota and holds it while `work` runs; refuses with
   * 'forbidden' naming the resources it would pass. After a failure the reservation goes at once;
   * after success it goes when the list shows the machine.
   */
  async within<T>(user: string, limit: Quota, reservation: Reservation, work: () => Promise<T>): Promise<T> {
    const held = await this.locks.run(user, async () => {
      const use = this.count(user, await this.listAll());
      const after = addUse(reservation.replaces ? subtract(use, reservation.replaces) : use, reservation.use);
      const over = exceeded(after, limit);
      if (over.length > 0) {
        const detail = over.map((resource) => `${QUOTA_KEYS[resource]} ${after[resource]} of ${limit[resource]}`).join(', ');
        throw new ServiceError('forbidden', `user ${user}'s quota does not allow this: it would use ${detail}`, {
          quota: over,
        });
      }
      const entry = { ...reservation, done: false };
      let set = this.reserved.get(user);
      if (!set) this.reserved.set(user, (set = new Set()));
      set.add(entry);
      return entry;
    });
    try {
      const result = await work();
      held.done = true;
      return result;
    } catch (err) {
      this.release(user, held);
      throw err;
    }
  }

  private release(user: string, entry: Reservation & { done: boolean }): void {
    const set = this.reserved.get(user);
    set?.delete(entry);
    if (set?.size === 0) this.reserved.delete(user);
  }

  private count(user: string, machines: readonly Machine[]): QuotaUse {
    let use = NO_USE;
    const listed = new Map<string, Machine>();
    for (const machine of machines) {
      if (ownerOf(machine) !== user) continue;
      listed.set(machineKey(machine.provider, machine.name), machine);
      use = addUse(use, useOf({ ...machine, diskBytes: machine.rootDisk?.sizeBytes ?? this.diskBytesOf(machine) }));
    }
    for (const entry of [...(this.reserved.get(user) ?? [])]) {
      const shown = listed.get(entry.key);
      if (entry.done && shown && !entry.replaces) {
        this.release(user, entry);
        continue;
      }
      // A resize counts its new size in place of the old until it is done.
      if (entry.replaces) {
        if (entry.done) {
          this.release(user, entry);
          continue;
        }
        if (shown) use = subtract(use, entry.replaces);
      } else if (shown) continue;
      use = addUse(use, entry.use);
    }
    return use;
  }
}

function subtract(a: QuotaUse, b: QuotaUse): QuotaUse {
  return {
    machines: a.machines - b.machines,
    cpus: a.cpus - b.cpus,
    memoryMiB: a.memoryMiB - b.memoryMiB,
    diskGiB: a.diskGiB - b.diskGiB,
  };
}
