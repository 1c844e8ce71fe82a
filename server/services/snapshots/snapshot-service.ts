/**
 * Snapshots of a machine: list, create, revert, delete — each change under the machine's lock
 * (MachineServiceHandle.changeMachine), refused up front with the reason when the machine's disks
 * or firmware cannot have internal snapshots on this libvirt. A snapshot libvirt finishes after
 * the caller was told it timed out is deleted, so no snapshot appears that nobody asked for.
 */
import type { Logger } from '../../core/log.js';
import { isDescription, MAX_DESCRIPTION } from '../../core/machine-properties.js';
import { ServiceError } from '../../core/service-error.js';
import {
  isSnapshotName,
  SNAPSHOT_NAME_RULE,
  type CreateSnapshotRequest,
  type MachineSnapshot,
  type RevertSnapshotRequest,
  type SnapshotList,
  type SnapshotRef,
  type SnapshotService,
} from '../../core/snapshots.js';
import { ErrorCode, LibvirtError, SnapshotRevertFlags, type Domain, type DomainSnapshot } from '../../libvirt/index.js';
import { parseDomainXml } from '../machines/domain-xml.js';
import type { MachineServiceHandle } from '../machines/service.js';
import { parseSnapshotXml, snapshotProblem, snapshotXml } from './snapshot-xml.js';

export interface SnapshotServiceDeps {
  machines: Pick<MachineServiceHandle, 'changeMachine' | 'readMachine'>;
  logger: Logger;
  clock?: () => Date;
}

/** Saving or loading a running guest's memory takes a while (seconds per GiB, more under TCG). */
const SNAPSHOT_TIMEOUT_MS = 10 * 60_000;

function automaticName(now: Date): string {
  return `snap-${now
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/[-:]/g, '')
    .replace('T', '-')}`;
}

async function lookup(domain: Domain, name: string): Promise<DomainSnapshot> {
  if (!isSnapshotName(name))
    throw new ServiceError('not-found', `no snapshot "${name.slice(0, 64)}" of ${domain.name} (${SNAPSHOT_NAME_RULE})`);
  try {
    return await domain.lookupSnapshot(name);
  } catch (err) {
    if (err instanceof LibvirtError && err.code === ErrorCode.NO_DOMAIN_SNAPSHOT) {
      throw new ServiceError('not-found', `${domain.name} has no snapshot named "${name}"`);
    }
    throw err;
  }
}

async function refuseUnsupported(domain: Domain): Promise<void> {
  const problem = snapshotProblem(parseDomainXml(await domain.getXmlDesc()));
  if (problem) throw new ServiceError('bad-request', `${domain.name} cannot have snapshots: ${problem}`);
}

export function createSnapshotService({ machines, logger, clock = () => new Date() }: SnapshotServiceDeps): SnapshotService {
  return {
    listSnapshots(provider, id): Promise<SnapshotList> {
      return machines.readMachine(provider, id, 'list snapshots', async ({ domain, read }) => {
        const [machine, xml, handles] = await Promise.all([read(), domain.getXmlDesc(), domain.listSnapshots()]);
        const snapshots = await Promise.all(handles.map(async (handle) => parseSnapshotXml(await handle.getXmlDesc())));
        snapshots.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.name.localeCompare(b.name));
        const unsupported = snapshotProblem(parseDomainXml(xml));
        return {
          machine: { provider, id: machine.id, name: machine.name, state: machine.state },
          snapshots,
          ...(unsupported ? { unsupported } : {}),
        };
      });
    },

    createSnapshot(request: CreateSnapshotRequest): Promise<MachineSnapshot> {
      const name = request.name.trim() === '' ? automaticName(clock()) : request.name.trim();
      if (!isSnapshotName(name)) {
        throw new ServiceError('bad-request', `"${name.slice(0, 70)}" is not a snapshot name; ${SNAPSHOT_NAME_RULE}`);
      }
      if (!isDescription(request.description)) {
        throw new ServiceError(
          'bad-request',
          `a snapshot description is at most ${MAX_DESCRIPTION} characters, without control characters`,
        );
      }
      return machines.changeMachine(request.provider, request.id, 'create snapshot', async ({ domain }) => {
        await refuseUnsupported(domain);
        const existing = await domain.lookupSnapshot(name).catch(() => undefined);
        if (existing) throw new ServiceError('conflict', `${domain.name} has a snapshot named "${name}" already`);
        const created = await domain.createSnapshot(snapshotXml(name, request.description), {
          timeoutMs: SNAPSHOT_TIMEOUT_MS,
          onLateResult: (late) => void late.delete().catch(() => undefined),
        });
        const snapshot = parseSnapshotXml(await created.getXmlDesc());
        logger.info(
          { hypervisor: request.provider, machine: domain.name, snapshot: name, memory: snapshot.withMemory, user: request.by },
          'snapshot created',
        );
        return snapshot;
      });
    },

    revertSnapshot(request: RevertSnapshotRequest): Promise<MachineSnapshot> {
      return machines.changeMachine(request.provider, request.id, 'revert snapshot', async ({ domain, read }) => {
        const handle = await lookup(domain, request.name);
        const snapshot = parseSnapshotXml(await handle.getXmlDesc());
        const running = (await read()).state !== 'stopped';
        if (running && !request.force) {
          throw new ServiceError(
            'bad-request',
            `${domain.name} is running: reverting it to "${snapshot.name}" discards what it did since, memory and disks; revert with Force to do it anyway`,
          );
        }
        // A running machine comes back running, also from a snapshot taken while it was stopped.
        let flags = running ? SnapshotRevertFlags.FORCE : 0;
        if (running && !snapshot.withMemory) flags |= SnapshotRevertFlags.RUNNING;
        await handle.revert({ flags, timeoutMs: SNAPSHOT_TIMEOUT_MS });
        logger.info(
          { hypervisor: request.provider, machine: domain.name, snapshot: snapshot.name, user: request.by },
          'snapshot reverted',
        );
        return snapshot;
      });
    },

    deleteSnapshot(request: SnapshotRef): Promise<void> {
      return machines.changeMachine(request.provider, request.id, 'delete snapshot', async ({ domain }) => {
        const handle = await lookup(domain, request.name);
        await handle.delete({ timeoutMs: SNAPSHOT_TIMEOUT_MS });
        logger.info(
          { hypervisor: request.provider, machine: domain.name, snapshot: request.name, user: request.by },
          'snapshot deleted',
        );
      });
    },
  };
}
