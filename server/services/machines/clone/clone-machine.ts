/**
 * Cloning a machine, as virt-clone and cockpit do it — the source shut off, its definition copied
 * under a new name — and then as a create finishes one: a new config drive (new instance id, so
 * cloud-init runs again, and the new hostname), an address reserved for the new MAC, started. The
 * disk is a copy of the source's in the root pool (`NAME_disk`): an overlay of the same image when
 * the source's is one (only the source's own changes are copied), else a full copy. Every step is
 * undone when a later one fails, and the create mark lets the sweeper finish that after a crash.
 */
import { randomUUID } from 'node:crypto';
import type { HypervisorConfig } from '../../../config/index.js';
import { machineIdFromUuid } from '../../../core/machine-id.js';
import type { Machine } from '../../../core/machine.js';
import type { CloneMachineRequest } from '../../../core/requests.js';
import { ServiceError } from '../../../core/service-error.js';
import { escapeXmlText } from '../../../formats/xml/escape.js';
import { attr, parseXmlRoot, path } from '../../../formats/xml/tree.js';
import {
  DomainXmlFlags,
  ErrorCode,
  type Connection,
  type Domain,
  type StoragePool,
  type StorageVolume,
} from '../../../libvirt/index.js';
import { readMachine } from '../cache/read-machine.js';
import { cloneDomainXml } from './clone-domain-xml.js';
import { copyVolumeBytes } from './copy-volume.js';
import { volumeGenerations } from '../delete-service.js';
import { diskSourcePath, findRootDisk, parseDomainXml, type DomainDisk, type DomainFacts } from '../domain-xml.js';
import { ignoringMissing } from '../ignoring-missing.js';
import { machineNameProblem } from '../machine-name.js';
import { domainExists, isTestDriver, MachineBuild, step, type CreateContext } from '../create/machine-build.js';

/**
 * What a clone's guest does once, on its first boot: a machine id of its own. The copied disk holds
 * the source's /etc/machine-id, and systemd-networkd's DHCP client id (a DUID) comes from it, so
 * clone and source would share one DHCP lease in dnsmasq (each still gets its reserved address,
 * but the lease of one replaces the other's). systemd-machine-id-setup makes the id from the VM's
 * new UUID; networkd restarted asks for a lease under the new id. It is cloud-init vendor data,
 * beside the user's userdata, once per instance (the clone's is new).
 */
export const CLONE_VENDORDATA =
  '#cloud-config\n' +
  'bootcmd:\n' +
  '  - [cloud-init-per, instance, vmango-clone-machine-id, sh, -c, "rm -f /etc/machine-id && systemd-machine-id-setup && ' +
  'if systemctl -q is-active systemd-networkd; then systemctl restart systemd-networkd; fi"]\n';

/** The source as the clone reads it, under the source's lock. */
export interface CloneSource {
  conn: Connection;
  hv: HypervisorConfig;
  domain: Domain;
}

function bad(message: string, field: 'Name' | 'Full' | 'Start' = 'Name'): ServiceError {
  return new ServiceError('bad-request', message, { fields: [field] });
}

/** Checks the new name before anything asks the hypervisor. */
export function checkCloneName(name: string): void {
  const problem = machineNameProblem(name);
  if (problem !== undefined) throw bad(`clone name: ${problem}`);
}

interface DiskCopy {
  sourcePath: string;
  volume: StorageVolume;
}

/** The new root volume's definition: the source's size and format, and its backing image when linked. */
function cloneVolumeXml(name: string, sourceXml: string, full: boolean): { xml: string; linked: boolean } {
  const volume = parseXmlRoot(sourceXml, 'storage volume XML', 'volume');
  // libvirt reports a volume's capacity in bytes.
  const bytes = Number(path(volume, 'capacity')?.text.trim() ?? '');
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new Error('the source disk reports no capacity');
  const format = attr(path(volume, 'target', 'format'), 'type') ?? 'raw';
  const backingPath = path(volume, 'backingStore', 'path')?.text.trim();
  const backingFormat = attr(path(volume, 'backingStore', 'format'), 'type') ?? 'qcow2';
  const linked = !full && backingPath !== undefined && backingPath !== '' && format === 'qcow2';
  const text = (what: string, value: string) => escapeXmlText(what, value);
  const backing = linked
    ? `<backingStore><path>${text('backing image path', backingPath!)}</path>` +
      `<format type="${text('backing image format', backingFormat)}"/></backingStore>`
    : '';
  return {
    xml:
      `<volume><name>${text('volume name', `${name}_disk`)}</name><capacity unit="bytes">${bytes}</capacity>` +
      `<target><format type="${text('volume format', format)}"/></target>${backing}</volume>`,
    linked,
  };
}

function physicalBytes(volumeXml: string): number {
  const volume = parseXmlRoot(volumeXml, 'storage volume XML', 'volume');
  const bytes = Number(path(volume, 'physical')?.text.trim() ?? path(volume, 'allocation')?.text.trim() ?? '');
  return Number.isSafeInteger(bytes) ? bytes : 0;
}

export class Cloning extends MachineBuild {
  constructor(
    ctx: CreateContext,
    private readonly source: CloneSource,
    private readonly req: CloneMachineRequest,
  ) {
    super(ctx, source.hv, source.conn, req.name);
  }

  async run(): Promise<Machine> {
    const { conn, hv, domain } = this.source;
    const sourceXml = await domain.getXmlDesc({ flags: DomainXmlFlags.INACTIVE });
    const facts = parseDomainXml(sourceXml);
    const { state } = await domain.getState();
    if (state !== 'shutoff') {
      throw new ServiceError(
        'conflict',
        `machine ${facts.name} is ${state}; a clone is made of a shut-off machine only (as virt-clone and cockpit do), ` +
          'so its disk is consistent: stop it first',
      );
    }
    if (!facts.metadata) {
      throw new ServiceError(
        'bad-request',
        `machine ${facts.name} was not made by vmango (its definition has no vmango metadata), so there is no ` +
          'SSH key or userdata for the clone’s config drive; only machines vmango made can be cloned',
      );
    }
    const root = findRootDisk(facts);
    if (!root) throw new ServiceError('bad-request', `machine ${facts.name} has no root disk (a disk named NAME_disk) to copy`);
    const configDrive = this.configDriveOf(facts);
    const others = facts.disks.filter((d) => d !== root && d !== configDrive && !(d.device === 'cdrom' && d.readonly));
    if (others.length > 0) {
      throw new ServiceError(
        'bad-request',
        `machine ${facts.name} has disks besides its root disk and config drive (` +
          others.map((d) => `${d.targetDev}: ${diskSourcePath(d) || d.type}`).join(', ') +
          '); a clone copies only those two: detach the others first',
      );
    }
    if (isTestDriver(hv)) {
      if (await domainExists(conn, this.name)) throw this.conflict();
      throw new ServiceError(
        'unsupported',
        `provider '${hv.name}' uses libvirt's test driver, which cannot copy a volume or upload a config drive; ` +
          'machines can be cloned only on a real (qemu/kvm) hypervisor',
      );
    }
    const sourceVolume = await step('failed to find the source disk', () => conn.lookupStorageVolumeByPath(diskSourcePath(root)));
    const disk = { sourcePath: diskSourcePath(root), volume: sourceVolume };
    return this.marked((rootPool) => this.build(rootPool, sourceXml, facts, disk, configDrive));
  }

  /**
   * The clone's root volume: an overlay of the source's image holding a byte copy of the source's
   * own layer, when the source's disk is an overlay without snapshots (their data would come
   * along, with no libvirt snapshot to own it); else a full copy made on the hypervisor.
   */
  private async copyDisk(rootPool: StoragePool, disk: DiskCopy): Promise<StorageVolume> {
    const { req } = this;
    const { hv, domain } = this.source;
    const hasSnapshots = (await domain.listSnapshots()).length > 0;
    const plan = cloneVolumeXml(req.name, await disk.volume.getXmlDesc(), req.full || hasSnapshots);
    const made = (volume: StorageVolume): StorageVolume => {
      this.rollback.add(`delete volume ${volume.name}`, () => ignoringMissing(volume.delete(), ErrorCode.NO_STORAGE_VOL));
      return volume;
    };
    if (!plan.linked) {
      return made(
        await step('failed to copy the disk', () =>
          rootPool.createVolumeFrom(plan.xml, disk.volume, { onLateResult: this.lateVolume }),
        ),
      );
    }
    const volume = made(
      await step('failed to create overlay volume', () => rootPool.createVolume(plan.xml, { onLateResult: this.lateVolume })),
    );
    await step('failed to copy the disk', () =>
      this.ctx.transferLocks.run(hv.name, async () => {
        const emptyBytes = physicalBytes(await volume.getXmlDesc());
        const copied = await copyVolumeBytes(disk.volume, volume);
        // An upload overwrites without truncating: a shorter copy would leave the empty overlay's tail.
        if (copied < emptyBytes) {
          throw new Error(`the source disk (${copied} bytes) is smaller than an empty overlay; clone it with Full`);
        }
      }),
    );
    return volume;
  }

  /** The source's config drive: the cdrom holding its own NAME_config.iso. */
  private configDriveOf(facts: DomainFacts): DomainDisk | undefined {
    const isos = volumeGenerations(facts.name).map((g) => `/${g.iso}`);
    return facts.disks.find((d) => d.device === 'cdrom' && isos.some((iso) => diskSourcePath(d).endsWith(iso)));
  }

  private async build(
    rootPool: StoragePool,
    sourceXml: string,
    facts: DomainFacts,
    disk: DiskCopy,
    configDrive: DomainDisk | undefined,
  ): Promise<Machine> {
    const { hv, conn } = this.source;
    const { req } = this;
    const metadata = facts.metadata!;

    const volume = await this.copyDisk(rootPool, disk);
    await this.after('volume-created');
    const diskPath = await step('failed to get machine volume path', () => volume.getPath());

    const uuid = randomUUID();
    const paths = new Map([[disk.sourcePath, diskPath]]);
    if (configDrive) {
      const isoPath = await this.uploadConfigDrive(rootPool, {
        uuid32: machineIdFromUuid(uuid),
        sshKeys: metadata.sshKeys,
        userdata: metadata.userdata,
        vendordata: CLONE_VENDORDATA,
      });
      paths.set(diskSourcePath(configDrive), isoPath);
      await this.after('config-drive-uploaded');
    }

    const xml = await step('failed to write the clone’s definition', async () =>
      cloneDomainXml(sourceXml, { name: req.name, uuid, paths, creator: req.by }),
    );
    const domain = await this.define(xml);
    const cloned = parseDomainXml(await domain.getXmlDesc({ flags: DomainXmlFlags.INACTIVE }));
    await this.recordOwner(domain, cloned.properties, req.by);
    await this.after('domain-defined');

    if (req.start) {
      await this.startWithAddress(domain, cloned);
      await this.after('started');
    } else {
      await this.reserveOnly(cloned);
    }
    this.ctx.logger.info(
      { hypervisor: hv.name, machine: req.name, id: machineIdFromUuid(cloned.uuid), source: facts.name, user: req.by },
      'machine cloned',
    );
    return readMachine(conn, hv, domain, this.ctx.clock);
  }
}
