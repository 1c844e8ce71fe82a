/**
 * The audit log as one principal may read it: entries about a machine need `audit-read` on that
 * machine (a deleted machine's, audit-read on its whole hypervisor), entries about a hypervisor
 * need it there, and entries about no hypervisor (logins, reloads, webhooks) need it on every
 * hypervisor.
 */
import type { AuditEntry, AuditPage, AuditQuery } from '../../core/audit.js';
import { ownerOf } from '../../core/machine-properties.js';
import type { Machine } from '../../core/machine.js';
import type { AccessTarget } from '../../core/permissions.js';
import { can, canSomewhere, isUnrestricted, type Principal } from '../../core/principal.js';
import { ServiceError } from '../../core/service-error.js';
import type { MachineService, ScopedAuditLog } from '../../core/services.js';
import type { AuditLog } from './audit-log.js';

/** A target no tag or ownership grant covers: only grants on all of a hypervisor do. */
const NO_MACHINE = Object.freeze({ tags: Object.freeze([]) as readonly string[], owner: '' });

export function scopedAuditLog(log: AuditLog, principal: Principal, machines: MachineService): ScopedAuditLog {
  const readable = (): boolean => canSomewhere(principal, 'audit-read');
  return {
    readable,
    async query(query: AuditQuery): Promise<AuditPage> {
      if (!readable()) {
        throw new ServiceError(
          'forbidden',
          `user ${principal.user} may not read the audit log: that needs the 'audit-read' permission`,
          { permission: 'audit-read' },
        );
      }
      if (isUnrestricted(principal)) return log.query(query);
      const { machines: lists } = await machines.listMachines();
      const byId = new Map<string, Machine>();
      for (const [provider, list] of lists) for (const machine of list.machines) byId.set(`${provider}/${machine.id}`, machine);
      const providers = machines.providerStates().map((state) => state.name);
      const onAll = providers.every((provider) => can(principal, 'audit-read', { provider, machine: NO_MACHINE }));
      const visible = (entry: AuditEntry): boolean => {
        if (entry.provider === undefined) return onAll;
        const machine = entry.machine === undefined ? undefined : byId.get(`${entry.provider}/${entry.machine}`);
        const target: AccessTarget = {
          provider: entry.provider,
          machine: machine ? { tags: machine.properties.tags, owner: ownerOf(machine) } : NO_MACHINE,
        };
        return can(principal, 'audit-read', target);
      };
      return log.query(query, visible);
    },
  };
}
