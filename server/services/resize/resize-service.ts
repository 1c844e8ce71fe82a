/**
 * Resize under the machine's lock (MachineServiceHandle.changeMachine). The steps, each undone when
 * a later one fails: CPUs and memory in the persistent definition (raising its maximum first when
 * it grows past it), then on the running machine when its maximum leaves room (a failure there
 * only means "at next boot"), then the disk — last, because growing cannot be undone: QEMU grows
 * the image of a running machine (virDomainBlockResize; a volume is never resized under a running
 * guest), libvirt the volume of a stopped one. A plan given by name is recorded in 0.6's metadata.
 */
import type { Config, PlanConfig } from '../../config/index.js';
import type { Logger } from '../../core/log.js';
import {
  MAX_CPUS,
  MIN_MEMORY_BYTES,
  type ResizedPart,
  type ResizeRequest,
  type ResizeResult,
  type ResizeService,
} from '../../core/resize.js';
import { ServiceError } from '../../core/service-error.js';
import {
  AffectFlags,
  DomainXmlFlags,
  ErrorCode,
  LibvirtError,
  MemoryFlags,
  VcpuFlags,
  type Domain,
} from '../../libvirt/index.js';
import { diskSourcePath, findRootDisk, parseDomainXml, type DomainFacts } from '../machines/domain-xml.js';
import { buildMetadataForSetMetadata, parseMetadataXml, VMANGO_METADATA_NAMESPACE } from '../machines/metadata.js';
import type { MachineServiceHandle } from '../machines/service.js';

export interface ResizeServiceDeps {
  config: Pick<Config, 'plans'>;
  machines: Pick<MachineServiceHandle, 'changeMachine'>;
  logger: Logger;
}

const MiB = 1024 ** 2;

interface Target {
  cpus?: number;
  memoryKiB?: number;
  diskBytes?: number;
  plan?: PlanConfig;
}

function bad(message: string): never {
  throw new ServiceError('bad-request', message);
}

function targetOf(request: ResizeRequest, plans: readonly PlanConfig[]): Target {
  let plan: PlanConfig | undefined;
  if (request.plan !== undefined) {
    plan = plans.find((p) => p.name === request.plan);
    if (!plan)
      bad(`plan "${request.plan.slice(0, 60)}" not found; the plans are ${plans.map((p) => p.name).join(', ') || '(none)'}`);
  }
  const cpus = request.cpus ?? plan?.cpus;
  const memoryBytes = request.memoryBytes ?? plan?.memoryBytes;
  const diskBytes = request.diskBytes ?? plan?.diskSizeBytes;
  if (cpus === undefined && memoryBytes === undefined && diskBytes === undefined)
    bad('nothing to resize; give a Plan, or Cpus, MemoryMegabytes or DiskSizeGigabytes');
  if (cpus !== undefined && !(Number.isInteger(cpus) && cpus >= 1 && cpus <= MAX_CPUS))
    bad(`Cpus must be a whole number from 1 to ${MAX_CPUS}`);
  if (memoryBytes !== undefined && !(Number.isInteger(memoryBytes / MiB) && memoryBytes >= MIN_MEMORY_BYTES)) {
    bad(`memory must be whole MiB, at least ${MIN_MEMORY_BYTES / MiB} MiB`);
  }
  if (diskBytes !== undefined && !(Number.isInteger(diskBytes / MiB) && diskBytes > 0)) bad('the disk size must be whole MiB');
  return { cpus, memoryKiB: memoryBytes === undefined ? undefined : memoryBytes / 1024, diskBytes, plan };
}

async function tryLive(work: () => Promise<unknown>): Promise<boolean> {
  try {
    await work();
    return true;
  } catch (err) {
    if (err instanceof LibvirtError && err.code !== ErrorCode.TIMEOUT && err.code !== ErrorCode.CONNECTION_LOST) return false;
    throw err;
  }
}

export function createResizeService({ config, machines, logger }: ResizeServiceDeps): ResizeService {
  return {
    resizeMachine(request: ResizeRequest): Promise<ResizeResult> {
      const target = targetOf(request, config.plans);
      return machines.changeMachine(request.provider, request.id, 'resize machine', async ({ conn, domain, read }) => {
        const persistent = await domain.getXmlDesc({ flags: DomainXmlFlags.INACTIVE });
        const saved = parseDomainXml(persistent);
        const running = await domain.isActive();
        const live: DomainFacts = running ? parseDomainXml(await domain.getXmlDesc()) : saved;
        const root = findRootDisk(saved);
        let rootVolume: Awaited<ReturnType<typeof conn.lookupStorageVolumeByPath>> | undefined;
        let capacity = 0;
        if (target.diskBytes !== undefined) {
          if (!root) bad(`${domain.name} has no root disk (a disk named NAME_disk) to grow`);
          rootVolume = await conn.lookupStorageVolumeByPath(diskSourcePath(root));
          capacity = (await rootVolume.getInfo()).capacity;
          if (target.diskBytes < capacity)
            bad(`disks only grow: ${domain.name}'s disk is ${capacity / MiB} MiB, more than ${target.diskBytes / MiB} MiB`);
        }
        const appliedNow: ResizedPart[] = [];
        const atNextBoot: ResizedPart[] = [];
        const undo: (() => Promise<unknown>)[] = [];
        try {
          if (target.cpus !== undefined)
            await resizeCpus(domain, target.cpus, saved, live, running, undo, appliedNow, atNextBoot);
          if (target.memoryKiB !== undefined)
            await resizeMemory(domain, target.memoryKiB, saved, live, running, undo, appliedNow, atNextBoot);
          if (target.plan) await recordPlan(domain, target.plan.name, running, undo);
          if (target.diskBytes !== undefined && target.diskBytes > capacity) {
            if (running) await domain.blockResize(root!.targetDev, target.diskBytes);
            else await rootVolume!.resize(target.diskBytes);
            appliedNow.push('disk');
          }
        } catch (err) {
          for (const step of undo.reverse()) await step().catch(() => undefined);
          throw err;
        }
        logger.info(
          {
            hypervisor: request.provider,
            machine: domain.name,
            user: request.by,
            cpus: target.cpus,
            memoryKiB: target.memoryKiB,
            diskBytes: target.diskBytes,
            appliedNow,
            atNextBoot,
          },
          'machine resized',
        );
        return { machine: await read(), appliedNow, atNextBoot };
      });
    },
  };
}

async function resizeCpus(
  domain: Domain,
  cpus: number,
  saved: DomainFacts,
  live: DomainFacts,
  running: boolean,
  undo: (() => Promise<unknown>)[],
  appliedNow: ResizedPart[],
  atNextBoot: ResizedPart[],
): Promise<void> {
  const maximum = saved.vcpus ?? 1;
  const current = saved.currentVcpus ?? maximum;
  if (cpus !== current || cpus > maximum) {
    if (cpus > maximum) {
      await domain.setVcpus(cpus, { flags: VcpuFlags.MAXIMUM | VcpuFlags.CONFIG });
      undo.push(() => domain.setVcpus(maximum, { flags: VcpuFlags.MAXIMUM | VcpuFlags.CONFIG }));
    }
    await domain.setVcpus(cpus, { flags: VcpuFlags.CONFIG });
    undo.push(() => domain.setVcpus(current, { flags: VcpuFlags.CONFIG }));
  }
  if (!running) {
    atNextBoot.push('cpus');
    return;
  }
  const liveNow = live.currentVcpus ?? live.vcpus ?? 0;
  if (liveNow === cpus) return;
  const fits = cpus <= (live.vcpus ?? 0);
  if (fits && (await tryLive(() => domain.setVcpus(cpus, { flags: VcpuFlags.LIVE })))) {
    appliedNow.push('cpus');
    undo.push(() => domain.setVcpus(liveNow, { flags: VcpuFlags.LIVE }));
  } else {
    atNextBoot.push('cpus');
  }
}

async function resizeMemory(
  domain: Domain,
  memoryKiB: number,
  saved: DomainFacts,
  live: DomainFacts,
  running: boolean,
  undo: (() => Promise<unknown>)[],
  appliedNow: ResizedPart[],
  atNextBoot: ResizedPart[],
): Promise<void> {
  const maximum = (saved.memoryBytes ?? 0) / 1024;
  const current = (saved.currentMemoryBytes ?? saved.memoryBytes ?? 0) / 1024;
  if (memoryKiB !== current || memoryKiB !== maximum) {
    // The ceiling follows the size: a plan's memory is what the guest boots with.
    await domain.setMemory(memoryKiB, { flags: MemoryFlags.MAXIMUM | MemoryFlags.CONFIG });
    undo.push(() => domain.setMemory(maximum, { flags: MemoryFlags.MAXIMUM | MemoryFlags.CONFIG }));
    await domain.setMemory(memoryKiB, { flags: MemoryFlags.CONFIG });
    undo.push(() => domain.setMemory(current, { flags: MemoryFlags.CONFIG }));
  }
  if (!running) {
    atNextBoot.push('memory');
    return;
  }
  const liveNow = (live.currentMemoryBytes ?? live.memoryBytes ?? 0) / 1024;
  if (liveNow === memoryKiB) return;
  const fits = memoryKiB <= (live.memoryBytes ?? 0) / 1024;
  if (fits && (await tryLive(() => domain.setMemory(memoryKiB, { flags: MemoryFlags.LIVE })))) {
    appliedNow.push('memory');
    undo.push(() => domain.setMemory(liveNow, { flags: MemoryFlags.LIVE }));
  } else {
    atNextBoot.push('memory');
  }
}

/** 0.6's `plan` element, the rest of its metadata as it was. */
async function recordPlan(domain: Domain, plan: string, running: boolean, undo: (() => Promise<unknown>)[]): Promise<void> {
  let xml: string;
  try {
    xml = await domain.getMetadata({ type: 'element', uri: VMANGO_METADATA_NAMESPACE });
  } catch (err) {
    if (err instanceof LibvirtError && err.code === ErrorCode.NO_DOMAIN_METADATA) return; // not made by vmango: no plan to record
    throw err;
  }
  const before = parseMetadataXml(xml);
  if (before.plan === plan) return;
  const flags = running ? AffectFlags.LIVE | AffectFlags.CONFIG : AffectFlags.CONFIG;
  const write = async (md: typeof before) => {
    const { xml: element, key, uri } = buildMetadataForSetMetadata(md);
    await domain.setMetadata(element, { type: 'element', key, uri, flags });
  };
  await write({ ...before, plan });
  undo.push(() => write(before));
}
