/**
 * What every operation that makes a new machine on a hypervisor shares (create from an image,
 * clone of a machine): the create mark other replicas and the sweeper go by, the steps that upload
 * a config drive, reserve an address and start the machine, and the rollback that undoes every
 * completed step when a later one fails, so a failed build leaves no volume, domain, DHCP host
 * entry or ISO behind.
 */
import type { Config, HypervisorConfig } from '../../../config/index.js';
import {
  DomainDestroyFlags,
  DomainStartFlags,
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
import type { Machine, SshKey } from '../../../core/machine.js';
import type { RequestField } from '../../../core/requests.js';
import { ServiceError } from '../../../core/service-error.js';
import type { MachineProperties } from '../../../core/machine-properties.js';
import { writeProperties } from '../properties-service.js';
import { isHypervisorLost, errorMessage } from '../../../hypervisors/provider-errors.js';
import type { ProviderAccess } from '../../../hypervisors/provider-access.js';
import { escapeXmlText } from '../../../formats/xml/escape.js';
import { chooseFreeAddress, dhcpHostXml, NoFreeAddressError, parseNetworkXml } from '../../network/index.js';
import { toLeases } from '../cache/hypervisor-snapshot.js';
import { buildConfigDrive } from '../config-drive.js';
import type { DomainFacts, DomainInterface } from '../domain-xml.js';
import type { ImageWithVolume } from '../../images/image-service.js';
import type { TemplateImageInput } from '../template-context.js';
import { ignoringMissing } from '../ignoring-missing.js';
import type { KeyedMutex } from '../keyed-lock.js';
import { QueueFullError, type WorkQueue } from '../work-queue.js';
import { placeCreationMark } from './creation-mark.js';
import { untilStartIsUnderWay } from './network-port.js';
import { Rollback } from './rollback.js';
import { undefineDomain } from './undefine.js';

/** Points of a build after which a hook may run (tests inject real faults there). */
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
   * One lock per machine (provider and name) across create, clone, delete and power actions: a
   * build of a name that is busy is refused at once, the others wait their turn.
   */
  machineLocks: KeyedMutex;
  /** Builds running against one hypervisor at once (the rest wait in a bounded queue). */
  createQueue: WorkQueue;
  /** One address choice + reservation at a time per network. */
  networkLocks: KeyedMutex;
  /** One volume copy through the panel at a time per hypervisor (clone/copy-volume.ts). */
  transferLocks: KeyedMutex;
  hooks?: CreateHooks;
}

/** Runs one step; an unexpected failure is reworded as "<what>: <reason>" (a lost hypervisor stays as it is). */
export async function step<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ServiceError || isHypervisorLost(err)) throw err;
    throw new Error(`${what}: ${errorMessage(err)}`, { cause: err });
  }
}

/** Times a reservation is tried again when another panel took the chosen address first. */
const RESERVE_ATTEMPTS = 8;

/** How old a create mark must be before the sweeper takes its build for interrupted. */
export function staleMarkMs(hv: HypervisorConfig): number {
  return hv.longCallTimeoutMs + 60_000;
}

export function isTestDriver(hv: HypervisorConfig): boolean {
  return /^test:/i.test(hv.url);
}

export function machineLockKey(provider: string, name: string): string {
  return `${provider}\u0000${name}`;
}

export function nameConflict(name: string, provider: string, why = '', field: RequestField = 'Name'): ServiceError {
  return new ServiceError('conflict', `machine with name '${name}' already exists on provider '${provider}'${why}`, {
    fields: [field],
  });
}

/** Runs a build in the hypervisor's bounded queue of builds; a full queue is 503 with a retry hint. */
export async function queuedBuild<T>(ctx: CreateContext, provider: string, build: () => Promise<T>): Promise<T> {
  try {
    return await ctx.createQueue.run(provider, build);
  } catch (err) {
    if (err instanceof QueueFullError) {
      throw new ServiceError(
        'unavailable',
        `too many creates are waiting for provider '${provider}' (${err.message}); try again shortly`,
        { retryAfterSeconds: 10 },
      );
    }
    throw err;
  }
}

export async function domainExists(conn: Connection, name: string): Promise<boolean> {
  try {
    await conn.lookupDomainByName(name);
    return true;
  } catch (err) {
    if (err instanceof LibvirtError && err.code === ErrorCode.NO_DOMAIN) return false;
    throw err;
  }
}

function isoVolumeXml(volumeName: string, bytes: number): string {
  return (
    `<volume><name>${escapeXmlText('volume name', volumeName)}</name>` +
    `<capacity unit="bytes">${bytes}</capacity><target><format type="raw"/></target></volume>`
  );
}

export function templateImage(found: ImageWithVolume): TemplateImageInput {
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

export interface ConfigDriveFacts {
  uuid32: string;
  sshKeys: readonly SshKey[];
  /** As stored (normalizeUserdata). */
  userdata: string;
  /** cloud-init vendor data (config-drive.ts), for what the platform itself must do in the guest. */
  vendordata?: string;
}

export abstract class MachineBuild {
  protected readonly rollback: Rollback;

  constructor(
    protected readonly ctx: CreateContext,
    protected readonly hv: HypervisorConfig,
    protected readonly conn: Connection,
    /** The new machine's name. */
    protected readonly name: string,
    private readonly nameField: RequestField = 'Name',
  ) {
    this.rollback = new Rollback(ctx.logger, { hypervisor: hv.name, machine: name });
  }

  /** A volume made after its call timed out (the build already failed for it): delete it. */
  protected readonly lateVolume = (volume: StorageVolume): void => this.undoLate(`volume ${volume.name}`, () => volume.delete());

  /** Undoes what a timed-out call made after all; what cannot be undone is left to the sweeper. */
  protected undoLate(what: string, undo: () => Promise<unknown>): void {
    const context = { hypervisor: this.hv.name, machine: this.name, late: what };
    undo().then(
      () => this.ctx.logger.warn(context, 'a call that had timed out completed later: undone'),
      (err: unknown) =>
        this.ctx.logger.error(
          { ...context, error: errorMessage(err) },
          'a call that had timed out completed later and could not be undone',
        ),
    );
  }

  protected async after(stepName: CreateStep): Promise<void> {
    await this.ctx.hooks?.afterStep?.(stepName, this.name);
  }

  protected conflict(why = ''): ServiceError {
    return nameConflict(this.name, this.hv.name, why, this.nameField);
  }

  /**
   * Runs `build` under the create mark of the new name: a name being built elsewhere, or a domain
   * of that name, is a conflict; a failed build is rolled back, and the mark is removed unless
   * something could not be undone (then the sweeper finds the leftovers by it).
   */
  protected async marked(build: (rootPool: StoragePool) => Promise<Machine>): Promise<Machine> {
    const { hv, conn, name } = this;
    const rootPool = await step('failed to lookup vm storage pool', () => conn.lookupStoragePoolByName(hv.rootStoragePool));
    const mark = await step('failed to mark the create', () => placeCreationMark(rootPool, name));
    if (!mark) {
      throw this.conflict(
        ` (it is being created right now, perhaps by another panel; a create that was interrupted is cleaned up by the sweeper after ${Math.round(staleMarkMs(hv) / 60_000)} min)`,
      );
    }
    let complete = false;
    try {
      if (await domainExists(conn, name)) throw this.conflict();
      await this.after('validated');
      try {
        const machine = await build(rootPool);
        complete = true;
        return machine;
      } catch (err) {
        const leftovers = await this.rollback.unwind();
        if (leftovers.length > 0) {
          this.ctx.logger.error(
            { hypervisor: hv.name, machine: name, leftovers },
            'build failed and could not be fully undone: the sweeper will',
          );
        } else {
          complete = true;
        }
        const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
        // Someone outside vmango defined a domain of that name while we worked.
        if (cause instanceof LibvirtError && cause.code === ErrorCode.DOM_EXIST) throw this.conflict();
        throw err;
      }
    } finally {
      if (complete || !this.rollback.madeAnything) {
        await mark
          .delete()
          .catch((err: unknown) =>
            this.ctx.logger.warn(
              { hypervisor: hv.name, machine: name, error: errorMessage(err) },
              'cannot remove the create mark: the sweeper will',
            ),
          );
      }
    }
  }

  /** The root volume from the rendered volume XML: an overlay on the image, or a full copy of it. */
  protected async createRootVolume(
    pool: StoragePool,
    xml: string,
    linked: boolean,
    source: StorageVolume,
  ): Promise<StorageVolume> {
    const disk = linked
      ? await step('failed to create overlay volume', () => pool.createVolume(xml, { onLateResult: this.lateVolume }))
      : await step('failed to clone image', () => pool.createVolumeFrom(xml, source, { onLateResult: this.lateVolume }));
    this.rollback.add(`delete volume ${disk.name}`, () => ignoringMissing(disk.delete(), ErrorCode.NO_STORAGE_VOL));
    return disk;
  }

  /** Defines the domain; the rollback undefines it. */
  protected async define(xml: string): Promise<Domain> {
    const domain = await step('failed to define domain', () =>
      this.conn.defineDomain(xml, { onLateResult: (late) => this.undoLate(`domain ${late.name}`, () => undefineDomain(late)) }),
    );
    this.rollback.add(`undefine domain ${this.name}`, () => ignoringMissing(undefineDomain(domain), ErrorCode.NO_DOMAIN));
    return domain;
  }

  /** Records who owns the machine in this project's metadata element (beside what it already holds). */
  protected async recordOwner(domain: Domain, properties: MachineProperties, owner: string): Promise<void> {
    if (!owner) return;
    await step('failed to record the machine’s owner', () => writeProperties(domain, { ...properties, owner }));
  }

  /** Builds the config drive, uploads it as NAME_config.iso (or `volumeName`) into the root pool; its path. */
  protected async uploadConfigDrive(
    rootPool: StoragePool,
    facts: ConfigDriveFacts,
    volumeName = `${this.name}_config.iso`,
  ): Promise<string> {
    const { hv, name } = this;
    return step('failed to create config drive', async () => {
      const iso = await buildConfigDrive({
        format: hv.configDriveFormat,
        name,
        uuid32: facts.uuid32,
        sshKeys: facts.sshKeys,
        userdata: facts.userdata,
        ...(facts.vendordata !== undefined ? { vendordata: facts.vendordata } : {}),
      });
      const volume = await rootPool.createVolume(isoVolumeXml(volumeName, iso.length), { onLateResult: this.lateVolume });
      this.rollback.add(`delete volume ${volume.name}`, () => ignoringMissing(volume.delete(), ErrorCode.NO_STORAGE_VOL));
      await volume.upload(iso);
      return volume.getPath();
    });
  }

  /** The first interface when it is on the hypervisor's network with a MAC: the one an address is reserved for. */
  protected reservableInterface(facts: DomainFacts): DomainInterface | undefined {
    const nic = facts.interfaces[0];
    if (!nic || nic.mac === '' || nic.type !== 'network' || nic.sourceNetwork !== this.hv.network) {
      this.ctx.logger.info(
        { hypervisor: this.hv.name, machine: this.name },
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
  protected async startWithAddress(domain: Domain, facts: DomainFacts): Promise<void> {
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

  /** Reserves the machine's address without starting it (it gets it when it starts). */
  protected async reserveOnly(facts: DomainFacts): Promise<void> {
    const nic = this.reservableInterface(facts);
    if (!nic) return;
    const network = await step('failed to reserve an IP address', () => this.conn.lookupNetworkByName(this.hv.network));
    await this.reserveAddress(network, nic);
    await this.after('ip-reserved');
  }

  private async start(domain: Domain, flags: number): Promise<void> {
    await step('failed to start machine', () => domain.start({ flags }));
    this.rollback.add(`destroy domain ${this.name}`, () =>
      ignoringMissing(domain.destroy({ flags: DomainDestroyFlags.DEFAULT }), ErrorCode.NO_DOMAIN, ErrorCode.OPERATION_INVALID),
    );
  }

  private async reserveAddress(network: Network, nic: DomainInterface): Promise<void> {
    const { hv, name } = this;
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
          const hostXml = dhcpHostXml({ mac: nic.mac, name, ip });
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
}
