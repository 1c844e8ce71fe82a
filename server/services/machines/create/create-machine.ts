/**
 * Creating a machine, vmango 0.6's flow — clone the image, resize, define, upload and attach the
 * config drive, reserve an address, start — where every completed step is undone when a later one
 * fails, so a failed create leaves no volume, domain, DHCP host entry or ISO behind. The two slow
 * steps, reserving the address and starting QEMU, overlap (see startWithAddress).
 */
import type { Config, HypervisorConfig } from '../../../config/index.js';
import {
  AffectFlags,
  DomainDestroyFlags,
  DomainStartFlags,
  DomainXmlFlags,
  ErrorCode,
  LibvirtError,
  NetworkUpdateFlags,
  type Connection,
  type Domain,
  type Network,
  type StoragePool,
  type StorageVolume,
} from '../../../libvirt/index.js';
import type { Logger } from '../../../core/log.js';
import { isHypervisorLost, errorMessage } from '../../../hypervisors/provider-errors.js';
import type { ProviderAccess } from '../../../hypervisors/provider-access.js';
import { findImage, type ImageWithVolume } from '../../images/image-service.js';
import { chooseFreeAddress, dhcpHostXml, NoFreeAddressError, parseNetworkXml } from '../../network/index.js';
import { escapeXmlText } from '../../../formats/xml/escape.js';
import { buildConfigDrive } from '../config-drive.js';
import { machineIdFromUuid } from '../../../core/machine-id.js';
import { parseDomainXml, type DomainFacts, type DomainInterface } from '../domain-xml.js';
import type { Machine } from '../../../core/machine.js';
import { buildMetadata, normalizeUserdata } from '../metadata.js';
import type { CreateMachineRequest } from '../../../core/requests.js';
import { ServiceError } from '../../../core/service-error.js';
import { vmangoTemplateContext, type TemplateImageInput, type TemplateMachineInput } from '../template-context.js';
import { toLeases } from '../cache/hypervisor-snapshot.js';
import { readMachine } from '../cache/read-machine.js';
import { configDriveDevice } from './config-drive-device.js';
import { placeCreationMark } from './creation-mark.js';
import { ignoringMissing } from '../ignoring-missing.js';
import { untilStartIsUnderWay } from './network-port.js';
import type { KeyedMutex } from '../keyed-lock.js';
import { QueueFullError, type WorkQueue } from '../work-queue.js';
import { Rollback } from './rollback.js';
import { validateCreateRequest, type ValidRequest } from './validate-request.js';
import { undefineDomain } from './undefine.js';
import { readVolumePlan } from './volume-plan.js';

/** Points of the flow after which a hook may run (tests inject real faults there). */
export type CreateStep =
  | 'validated'
  | 'volume-created'
  | 'volume-resized'
  | 'domain-defined'
  | 'config-drive-uploaded'
  | 'config-drive-attached'
  | 'ip-reserved'
  | 'started';

export interface CreateHooks {
  afterStep?: (step: CreateStep, machineName: string) => Promise<void>;
}

export interface CreateContext {
  config: Config;
  access: ProviderAccess;
  logger: Logger;
  clock: () => Date;
  /**
   * One lock per machine (provider and name) across create, delete and power actions: a create
   * of a name that is busy is refused at once, the others wait their turn.
   */
  machineLocks: KeyedMutex;
  /** Creates running against one hypervisor at once (the rest wait in a bounded queue). */
  createQueue: WorkQueue;
  /** One address choice + reservation at a time per network. */
  networkLocks: KeyedMutex;
  hooks?: CreateHooks;
}

/** Runs one step; an unexpected failure is reworded as "<what>: <reason>" (a lost hypervisor stays as it is). */
async function step<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ServiceError || isHypervisorLost(err)) throw err;
    throw new Error(`${what}: ${errorMessage(err)}`, { cause: err });
  }
}

/** Times a reservation is tried again when another panel took the chosen address first. */
const RESERVE_ATTEMPTS = 8;

/** How old a create mark must be before the sweeper takes its create for interrupted. */
export function staleMarkMs(hv: HypervisorConfig): number {
  return hv.longCallTimeoutMs + 60_000;
}

export function isTestDriver(hv: HypervisorConfig): boolean {
  return /^test:/i.test(hv.url);
}

export function machineLockKey(provider: string, name: string): string {
  return `${provider}\u0000${name}`;
}

function conflict(name: string, provider: string, why = ''): ServiceError {
  return new ServiceError('conflict', `machine with name '${name}' already exists on provider '${provider}'${why}`, {
    fields: ['Name'],
  });
}

async function domainExists(conn: Connection, name: string): Promise<boolean> {
  try {
    await conn.lookupDomainByName(name);
    return true;
  } catch (err) {
    if (err instanceof LibvirtError && err.code === ErrorCode.NO_DOMAIN) return false;
    throw err;
  }
}

function templateImage(found: ImageWithVolume): TemplateImageInput {
  const { image } = found;
  const modified = image.modified;
  return {
    id: image.id,
    os: image.os,
    arch: image.arch,
    sizeBytes: image.sizeBytes,
    format: image.format,
    // Go's zero time when libvirt reports no mtime, as 0.6's Image.Date was then.
    date: modified
      ? new Date(modified.seconds * 1000 + Math.floor(modified.nanoseconds / 1e6))
      : new Date('0001-01-01T00:00:00Z'),
    poolName: image.poolName,
  };
}

function isoVolumeXml(name: string, bytes: number): string {
  return (
    `<volume><name>${escapeXmlText('volume name', `${name}_config.iso`)}</name>` +
    `<capacity unit="bytes">${bytes}</capacity><target><format type="raw"/></target></volume>`
  );
}

export async function createMachine(ctx: CreateContext, request: CreateMachineRequest): Promise<Machine> {
  const valid = validateCreateRequest(ctx.config, request, (name, field) => ctx.access.config(name, field));
  const { hv } = valid;
  const key = machineLockKey(hv.name, valid.name);
  if (ctx.machineLocks.isHeld(key)) throw conflict(valid.name, hv.name, ' (it is being created or changed right now)');
  return ctx.machineLocks.run(key, async () => {
    try {
      return await ctx.createQueue.run(hv.name, () =>
        ctx.access.run(hv.name, `create machine ${valid.name}`, (conn) => new Creation(ctx, hv, conn, valid).run()),
      );
    } catch (err) {
      if (err instanceof QueueFullError) {
        throw new ServiceError(
          'unavailable',
          `too many creates are waiting for provider '${hv.name}' (${err.message}); try again shortly`,
          {
            retryAfterSeconds: 10,
          },
        );
      }
      throw err;
    }
  });
}

class Creation {
  private readonly rollback: Rollback;

  constructor(
    private readonly ctx: CreateContext,
    private readonly hv: HypervisorConfig,
    private readonly conn: Connection,
    private readonly req: ValidRequest,
  ) {
    this.rollback = new Rollback(ctx.logger, { hypervisor: hv.name, machine: req.name });
  }

  /** A volume made after its call timed out (the create already failed for it): delete it. */
  private readonly lateVolume = (volume: StorageVolume): void => this.undoLate(`volume ${volume.name}`, () => volume.delete());

  /** Undoes what a timed-out call made after all; what cannot be undone is left to the sweeper. */
  private undoLate(what: string, undo: () => Promise<unknown>): void {
    const context = { hypervisor: this.hv.name, machine: this.req.name, late: what };
    undo().then(
      () => this.ctx.logger.warn(context, 'a call that had timed out completed later: undone'),
      (err: unknown) =>
        this.ctx.logger.error(
          { ...context, error: errorMessage(err) },
          'a call that had timed out completed later and could not be undone',
        ),
    );
  }

  private async after(stepName: CreateStep): Promise<void> {
    await this.ctx.hooks?.afterStep?.(stepName, this.req.name);
  }

  async run(): Promise<Machine> {
    const { hv, conn, req } = this;
    const image = await step('failed to list images', () => findImage(conn, hv, req.imageId, this.ctx.logger));
    if (!image)
      throw new ServiceError('bad-request', `image "${req.imageId}" not found on provider "${hv.name}"`, { fields: ['Image'] });
    if (isTestDriver(hv)) {
      if (await domainExists(conn, req.name)) throw conflict(req.name, hv.name);
      throw new ServiceError(
        'unsupported',
        `provider '${hv.name}' uses libvirt's test driver, which cannot clone an image into another storage pool ` +
          'or upload a config drive; machines can be created only on a real (qemu/kvm) hypervisor',
      );
    }
    const rootPool = await step('failed to lookup vm storage pool', () => conn.lookupStoragePoolByName(hv.rootStoragePool));
    const mark = await step('failed to mark the create', () => placeCreationMark(rootPool, req.name));
    if (!mark) {
      throw conflict(
        req.name,
        hv.name,
        ` (it is being created right now, perhaps by another panel; a create that was interrupted is cleaned up by the sweeper after ${Math.round(staleMarkMs(hv) / 60_000)} min)`,
      );
    }
    let complete = false;
    try {
      if (await domainExists(conn, req.name)) throw conflict(req.name, hv.name);
      await this.after('validated');
      try {
        const machine = await this.build(rootPool, image);
        complete = true;
        return machine;
      } catch (err) {
        const leftovers = await this.rollback.unwind();
        if (leftovers.length > 0) {
          this.ctx.logger.error(
            { hypervisor: hv.name, machine: req.name, leftovers },
            'create failed and could not be fully undone: the sweeper will',
          );
        } else {
          complete = true;
        }
        const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
        // Someone outside vmango defined a domain of that name while we worked.
        if (cause instanceof LibvirtError && cause.code === ErrorCode.DOM_EXIST) throw conflict(req.name, hv.name);
        throw err;
      }
    } finally {
      // Kept when something could not be undone: the sweeper finds the leftovers by it.
      if (complete || !this.rollback.madeAnything) {
        await mark
          .delete()
          .catch((err: unknown) =>
            this.ctx.logger.warn(
              { hypervisor: hv.name, machine: req.name, error: errorMessage(err) },
              'cannot remove the create mark: the sweeper will',
            ),
          );
      }
    }
  }

  private async build(rootPool: StoragePool, image: ImageWithVolume): Promise<Machine> {
    const { hv, conn, req } = this;
    const machineInput: TemplateMachineInput = {
      name: req.name,
      sshKeys: req.sshKeys,
      userdata: normalizeUserdata(req.userdata),
      creator: req.creator,
    };
    const imageInput = templateImage(image);
    const plan = {
      name: req.plan.name,
      memoryBytes: req.plan.memoryBytes,
      cpus: req.plan.cpus,
      diskSizeBytes: req.plan.diskSizeBytes,
    };

    // In the volume template .VolumePath is the image's path: the backing file of a linked (overlay) volume.
    const volumeXml = await step('failed to create volume xml from template', async () =>
      hv.volumeTemplate.execute(
        vmangoTemplateContext({ machine: machineInput, image: imageInput, plan, volumePath: image.volume.path }),
        { escape: 'xml' },
      ),
    );
    const volumePlan = await step('failed to create volume xml from template', async () => readVolumePlan(volumeXml, req.name));
    const disk = await this.createRootVolume(rootPool, volumeXml, volumePlan.linked, image.volume.volume);
    await this.after('volume-created');

    const diskPath = await step('failed to get machine volume path', () => disk.getPath());
    if (volumePlan.format === 'qcow2') {
      await step('failed to resize root volume', async () => {
        const { capacity } = await disk.getInfo();
        if (capacity < req.plan.diskSizeBytes) await disk.resize(req.plan.diskSizeBytes);
      });
    }
    await this.after('volume-resized');

    const domain = await this.defineDomain(machineInput, imageInput, plan, image, diskPath);
    await this.after('domain-defined');
    const facts = parseDomainXml(await domain.getXmlDesc({ flags: DomainXmlFlags.INACTIVE }));

    const isoPath = await this.uploadConfigDrive(rootPool, machineIdFromUuid(facts.uuid));
    await this.after('config-drive-uploaded');

    await step('failed to attach config drive', async () => {
      const device = configDriveDevice(facts, isoPath);
      if (device.mode === 'update') await domain.updateDevice(device.xml, { flags: AffectFlags.CONFIG });
      else await domain.attachDevice(device.xml, { flags: AffectFlags.CONFIG });
    });
    await this.after('config-drive-attached');

    await this.startWithAddress(domain, facts);
    await this.after('started');

    this.ctx.logger.info({ hypervisor: hv.name, machine: req.name, id: machineIdFromUuid(facts.uuid) }, 'machine created');
    return readMachine(conn, hv, domain, this.ctx.clock);
  }

  private async createRootVolume(pool: StoragePool, xml: string, linked: boolean, source: StorageVolume): Promise<StorageVolume> {
    const disk = linked
      ? await step('failed to create overlay volume', () => pool.createVolume(xml, { onLateResult: this.lateVolume }))
      : await step('failed to clone image', () => pool.createVolumeFrom(xml, source, { onLateResult: this.lateVolume }));
    this.rollback.add(`delete volume ${disk.name}`, () => ignoringMissing(disk.delete(), ErrorCode.NO_STORAGE_VOL));
    return disk;
  }

  private async defineDomain(
    machineInput: TemplateMachineInput,
    imageInput: TemplateImageInput,
    plan: { name: string; memoryBytes: number; cpus: number; diskSizeBytes: number },
    image: ImageWithVolume,
    diskPath: string,
  ): Promise<Domain> {
    const { hv, conn, req } = this;
    const metadata = buildMetadata({
      imageId: image.image.id,
      os: image.image.os,
      creator: req.creator,
      plan: req.plan.name,
      sshKeys: req.sshKeys,
      userdata: normalizeUserdata(req.userdata),
    });
    const xml = await step('failed to create domain xml from template', async () => {
      const rendered = hv.vmTemplate.execute(
        vmangoTemplateContext({
          machine: {
            ...machineInput,
            os: image.image.os,
            arch: image.image.arch,
            memoryBytes: req.plan.memoryBytes,
            cpus: req.plan.cpus,
            imageId: image.image.id,
            plan: req.plan.name,
          },
          image: imageInput,
          plan,
          volumePath: diskPath,
          network: hv.network,
          metadata,
        }),
        { escape: 'xml' },
      );
      const named = parseDomainXml(rendered).name;
      if (named !== req.name) {
        throw new Error(
          `the domain template names the domain ${JSON.stringify(named)}; it must be the machine name (<name>{{ .Machine.Name }}</name>)`,
        );
      }
      return rendered;
    });
    const domain = await step('failed to define domain', () =>
      conn.defineDomain(xml, { onLateResult: (late) => this.undoLate(`domain ${late.name}`, () => undefineDomain(late)) }),
    );
    this.rollback.add(`undefine domain ${req.name}`, () => ignoringMissing(undefineDomain(domain), ErrorCode.NO_DOMAIN));
    return domain;
  }

  /** The first interface when it is on the hypervisor's network with a MAC: the one an address is reserved for. */
  private reservableInterface(facts: DomainFacts): DomainInterface | undefined {
    const nic = facts.interfaces[0];
    if (!nic || nic.mac === '' || nic.type !== 'network' || nic.sourceNetwork !== this.hv.network) {
      this.ctx.logger.info(
        { hypervisor: this.hv.name, machine: this.req.name },
        `no interface on network ${this.hv.network}: no address reserved`,
      );
      return undefined;
    }
    return nic;
  }

  /**
   * Reserves the machine's address and starts it. Both are slow on the hypervisor (a live network
   * update reloads dnsmasq's hosts and the firewall; QEMU takes as long to come up), so QEMU starts
   * paused while the address is reserved, and the guest's CPUs run only once both are done: it can
   * never ask for an address before dnsmasq knows its reservation.
   */
  private async startWithAddress(domain: Domain, facts: DomainFacts): Promise<void> {
    const nic = this.reservableInterface(facts);
    if (!nic) {
      await this.start(domain, DomainStartFlags.NONE);
      return;
    }
    const network = await step('failed to reserve an IP address', () => this.conn.lookupNetworkByName(this.hv.network));
    const starting = this.start(domain, DomainStartFlags.PAUSED);
    const reserving = (async () => {
      if (!(await untilStartIsUnderWay(domain, starting))) return;
      await this.reserveAddress(network, nic);
      await this.after('ip-reserved');
    })();
    const [started, reserved] = await Promise.allSettled([starting, reserving]);
    if (started.status === 'rejected') throw started.reason;
    if (reserved.status === 'rejected') throw reserved.reason;
    await step('failed to start machine', () => domain.resume());
  }

  private async start(domain: Domain, flags: number): Promise<void> {
    await step('failed to start machine', () => domain.start({ flags }));
    this.rollback.add(`destroy domain ${this.req.name}`, () =>
      ignoringMissing(domain.destroy({ flags: DomainDestroyFlags.DEFAULT }), ErrorCode.NO_DOMAIN, ErrorCode.OPERATION_INVALID),
    );
  }

  private async reserveAddress(network: Network, nic: DomainInterface): Promise<void> {
    const { hv, req } = this;
    await this.ctx.networkLocks.run(`${hv.name}\u0000${hv.network}`, () =>
      step('failed to reserve an IP address', async () => {
        const flags = NetworkUpdateFlags.AFFECT_LIVE | NetworkUpdateFlags.AFFECT_CONFIG;
        // The lock above covers this panel only: another replica may take the chosen address
        // first, and libvirt then refuses ours as a duplicate. Choose again from the new state.
        for (let attempt = 1; ; attempt++) {
          const [xml, leases] = await Promise.all([network.getXmlDesc(), network.getDhcpLeases()]);
          let ip: string;
          try {
            ip = chooseFreeAddress(parseNetworkXml(xml), toLeases(leases), this.ctx.clock(), { mac: nic.mac });
          } catch (err) {
            if (err instanceof NoFreeAddressError) throw new Error(err.message, { cause: err });
            throw err;
          }
          const hostXml = dhcpHostXml({ mac: nic.mac, name: req.name, ip });
          try {
            await network.update('add-last', 'ip-dhcp-host', hostXml, { flags });
          } catch (err) {
            if (attempt < RESERVE_ATTEMPTS && err instanceof LibvirtError && err.code === ErrorCode.OPERATION_INVALID) continue;
            throw err;
          }
          this.rollback.add(`release address ${ip} in network ${hv.network}`, () =>
            network.update('delete', 'ip-dhcp-host', hostXml, { flags }),
          );
          return;
        }
      }),
    );
  }

  private async uploadConfigDrive(rootPool: StoragePool, uuid32: string): Promise<string> {
    const { hv, req } = this;
    return step('failed to create config drive', async () => {
      const iso = await buildConfigDrive({
        format: hv.configDriveFormat,
        name: req.name,
        uuid32,
        sshKeys: req.sshKeys,
        userdata: normalizeUserdata(req.userdata),
      });
      const volume = await rootPool.createVolume(isoVolumeXml(req.name, iso.length), { onLateResult: this.lateVolume });
      this.rollback.add(`delete volume ${volume.name}`, () => ignoringMissing(volume.delete(), ErrorCode.NO_STORAGE_VOL));
      await volume.upload(iso);
      return volume.getPath();
    });
  }
}
