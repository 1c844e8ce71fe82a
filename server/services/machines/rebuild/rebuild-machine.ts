/**
 * Rebuilding (reinstalling) a machine from an image: a new root disk from the volume template and
 * a new config drive are made beside the old ones (the other of the two name generations,
 * delete-service.ts), the definition is pointed at them, and only then are the old ones removed.
 * The machine keeps its name, UUID, MAC, address reservation and size; its image, SSH keys and
 * userdata are the request's or its own. A running machine is powered off for the swap and started
 * again. Each step is undone when a later one fails (the old disk is still there to go back to);
 * the `NAME_rebuilding` mark lets the sweeper remove the unused generation after a crash.
 */
import type { HypervisorConfig } from '../../../config/index.js';
import { machineIdFromUuid } from '../../../core/machine-id.js';
import type { Machine, SshKey } from '../../../core/machine.js';
import type { RebuildMachineRequest } from '../../../core/requests.js';
import { ServiceError } from '../../../core/service-error.js';
import { parseXmlRoot } from '../../../formats/xml/tree.js';
import { withAttributes, withText, writeXml } from '../../../formats/xml/write.js';
import {
  AffectFlags,
  DomainDestroyFlags,
  DomainXmlFlags,
  ErrorCode,
  type Connection,
  type Domain,
  type StoragePool,
} from '../../../libvirt/index.js';
import { findImage } from '../../images/image-service.js';
import { readMachine } from '../cache/read-machine.js';
import { errorMessage } from '../../../hypervisors/provider-errors.js';
import { placeRebuildMark } from '../create/creation-mark.js';
import { readVolumePlan } from '../create/volume-plan.js';
import { volumeGenerations } from '../delete-service.js';
import { diskSourcePath, findRootDisk, parseDomainXml, type DomainDisk, type DomainFacts } from '../domain-xml.js';
import { ignoringMissing } from '../ignoring-missing.js';
import { userdataProblem } from '../machine-name.js';
import { buildMetadataForSetMetadata, normalizeUserdata, type VmangoMetadata } from '../metadata.js';
import { vmangoTemplateContext } from '../template-context.js';
import { isTestDriver, MachineBuild, step, templateImage, type CreateContext } from '../create/machine-build.js';

export interface RebuildTarget {
  conn: Connection;
  hv: HypervisorConfig;
  domain: Domain;
}

function bad(message: string, field: 'Image' | 'SSHKey' | 'Userdata' | undefined = undefined): ServiceError {
  return new ServiceError('bad-request', message, field ? { fields: [field] } : {});
}

/** The request's keys by name from the config, or the machine's own when it names none. */
function keysFor(ctx: CreateContext, request: RebuildMachineRequest, own: readonly SshKey[]): SshKey[] {
  if (request.sshKeys === undefined) return [...own];
  const keys: SshKey[] = [];
  for (const name of request.sshKeys) {
    const key = ctx.config.sshKeys.find((k) => k.name === name);
    if (!key) throw bad(`ssh key '${name}' doesn't exist`, 'SSHKey');
    if (!keys.some((k) => k.name === key.name)) keys.push({ name: key.name, public: key.public });
  }
  return keys;
}

/** Checks what needs no hypervisor. */
export function checkRebuildRequest(request: RebuildMachineRequest): void {
  if (request.userdata !== undefined) {
    const problem = userdataProblem(request.userdata);
    if (problem) throw bad(problem, 'Userdata');
  }
}

export class Rebuild extends MachineBuild {
  constructor(
    ctx: CreateContext,
    private readonly target: RebuildTarget,
    private readonly req: RebuildMachineRequest,
  ) {
    super(ctx, target.hv, target.conn, target.domain.name);
  }

  async run(): Promise<Machine> {
    const { conn, hv, domain } = this.target;
    const sourceXml = await domain.getXmlDesc({ flags: DomainXmlFlags.INACTIVE });
    const facts = parseDomainXml(sourceXml);
    if (!facts.metadata) {
      throw bad(
        `machine ${facts.name} was not made by vmango (its definition has no vmango metadata); only machines vmango made can be rebuilt`,
      );
    }
    const root = findRootDisk(facts);
    if (!root) throw bad(`machine ${facts.name} has no root disk (a disk named NAME_disk) to replace`);
    const snapshots = await domain.listSnapshots();
    if (snapshots.length > 0) {
      throw new ServiceError(
        'conflict',
        `machine ${facts.name} has ${snapshots.length} snapshot${snapshots.length === 1 ? '' : 's'}, which live in the disk a rebuild replaces: delete ${snapshots.length === 1 ? 'it' : 'them'} first`,
      );
    }
    const imageId = this.req.image || facts.metadata.imageId;
    const image = await step('failed to list images', () => findImage(conn, hv, imageId, this.ctx.logger));
    if (!image) {
      throw bad(
        `image "${imageId}" not found on provider "${hv.name}"` +
          (this.req.image ? '' : ' (the machine was made from it); give another Image'),
        'Image',
      );
    }
    const metadata: VmangoMetadata = {
      ...facts.metadata,
      imageId: image.image.id,
      os: image.image.os,
      sshKeys: keysFor(this.ctx, this.req, facts.metadata.sshKeys),
      userdata: this.req.userdata === undefined ? facts.metadata.userdata : normalizeUserdata(this.req.userdata),
    };
    if (isTestDriver(hv)) {
      throw new ServiceError(
        'unsupported',
        `provider '${hv.name}' uses libvirt's test driver, which cannot clone an image or upload a config drive; ` +
          'machines can be rebuilt only on a real (qemu/kvm) hypervisor',
      );
    }
    const rootPool = await step('failed to lookup vm storage pool', () => conn.lookupStoragePoolByName(hv.rootStoragePool));
    const mark = await step('failed to mark the rebuild', () => placeRebuildMark(rootPool, facts.name));
    if (!mark) {
      throw new ServiceError(
        'conflict',
        `machine ${facts.name} is being rebuilt right now, perhaps by another panel (an interrupted rebuild is cleaned up by the sweeper)`,
      );
    }
    let keepMark = false;
    try {
      return await this.swap(rootPool, sourceXml, facts, root, image, metadata);
    } catch (err) {
      const leftovers = await this.rollback.unwind();
      if (leftovers.length > 0) {
        keepMark = true;
        this.ctx.logger.error(
          { hypervisor: hv.name, machine: facts.name, leftovers },
          'rebuild failed and could not be fully undone: the sweeper will',
        );
      }
      throw err;
    } finally {
      if (!keepMark && !this.oldLeft) {
        await mark
          .delete()
          .catch((err: unknown) =>
            this.ctx.logger.warn(
              { hypervisor: hv.name, machine: facts.name, error: errorMessage(err) },
              'cannot remove the rebuild mark: the sweeper will',
            ),
          );
      }
    }
  }

  /** Set when an old volume could not be removed after the swap: the mark stays for the sweeper. */
  private oldLeft = false;

  private async swap(
    rootPool: StoragePool,
    sourceXml: string,
    facts: DomainFacts,
    root: DomainDisk,
    image: NonNullable<Awaited<ReturnType<typeof findImage>>>,
    metadata: VmangoMetadata,
  ): Promise<Machine> {
    const { conn, hv, domain } = this.target;
    const oldRootPath = diskSourcePath(root);
    const generations = volumeGenerations(facts.name);
    const current = generations.findIndex((g) => oldRootPath.endsWith(`/${g.disk}`));
    const next = generations[current === 0 ? 1 : 0]!;
    const isoPaths = new Set(generations.map((g) => `/${g.iso}`));
    const configDrive = facts.disks.find(
      (d) => d.device === 'cdrom' && [...isoPaths].some((iso) => diskSourcePath(d).endsWith(iso)),
    );

    const oldRoot = await step('failed to find the old root disk', () => conn.lookupStorageVolumeByPath(oldRootPath));
    const oldCapacity = (await oldRoot.getInfo()).capacity;
    const planConfig = this.ctx.config.plans.find((p) => p.name === metadata.plan);
    const plan = {
      name: metadata.plan,
      memoryBytes: facts.memoryBytes ?? planConfig?.memoryBytes ?? 0,
      cpus: facts.vcpus ?? planConfig?.cpus ?? 1,
      // The disk keeps the size it has grown to.
      diskSizeBytes: Math.max(oldCapacity, planConfig?.diskSizeBytes ?? 0),
    };
    const machineInput = { name: facts.name, sshKeys: metadata.sshKeys, userdata: metadata.userdata, creator: metadata.creator };
    const volumeXml = await step('failed to create volume xml from template', async () => {
      const rendered = hv.volumeTemplate.execute(
        vmangoTemplateContext({ machine: machineInput, image: templateImage(image), plan, volumePath: image.volume.path }),
        { escape: 'xml' },
      );
      const volumePlan = readVolumePlan(rendered, facts.name);
      const renamed = writeXml(parseXmlRoot(rendered, 'volume XML', 'volume'), (el) =>
        el.localName === 'name' && el.parent?.localName === 'volume' ? withText(el, next.disk) : undefined,
      );
      return { xml: renamed, plan: volumePlan };
    });
    const disk = await this.createRootVolume(rootPool, volumeXml.xml, volumeXml.plan.linked, image.volume.volume);
    await this.after('volume-created');
    const diskPath = await step('failed to get machine volume path', () => disk.getPath());
    if (volumeXml.plan.format === 'qcow2') {
      await step('failed to resize root volume', async () => {
        const { capacity } = await disk.getInfo();
        if (capacity < plan.diskSizeBytes) await disk.resize(plan.diskSizeBytes);
      });
    }
    await this.after('volume-resized');

    const isoPath = await this.uploadConfigDrive(
      rootPool,
      { uuid32: machineIdFromUuid(facts.uuid), sshKeys: metadata.sshKeys, userdata: metadata.userdata },
      next.iso,
    );
    await this.after('config-drive-uploaded');

    const wasRunning = await domain.isActive();
    if (wasRunning) {
      await step('failed to power off the machine', () => domain.destroy({ flags: DomainDestroyFlags.DEFAULT }));
      this.rollback.add(`start domain ${facts.name} again`, () => domain.start());
    }
    const paths = new Map([[oldRootPath, diskPath]]);
    if (configDrive) paths.set(diskSourcePath(configDrive), isoPath);
    const xml = await step('failed to write the rebuilt definition', async () =>
      writeXml(parseXmlRoot(sourceXml, 'domain XML', 'domain'), (el) => {
        if (el.localName !== 'source' || el.parent?.localName !== 'disk') return undefined;
        const next = el.attributes.file === undefined ? undefined : paths.get(el.attributes.file);
        return next === undefined ? undefined : withAttributes(el, { file: next });
      }),
    );
    await step('failed to define domain', () => conn.defineDomain(xml));
    this.rollback.add(`restore the definition of ${facts.name}`, () => conn.defineDomain(sourceXml));
    await step('failed to record the image and keys', async () => {
      const { xml: element, key, uri } = buildMetadataForSetMetadata(metadata);
      await domain.setMetadata(element, { type: 'element', key, uri, flags: AffectFlags.CONFIG });
    });
    await this.after('domain-defined');
    if (wasRunning) {
      await step('failed to start machine', () => domain.start());
      // Undone first: the new disk is not deleted under a running guest, the old one starts again.
      this.rollback.add(`power off domain ${facts.name}`, () =>
        ignoringMissing(domain.destroy({ flags: DomainDestroyFlags.DEFAULT }), ErrorCode.OPERATION_INVALID),
      );
      await this.after('started');
    }

    // The new disk is in place: only now does the old one go.
    const oldIsoPath = configDrive ? diskSourcePath(configDrive) : undefined;
    for (const path of [oldRootPath, oldIsoPath]) {
      if (path === undefined) continue;
      try {
        await ignoringMissing(
          conn.lookupStorageVolumeByPath(path).then((volume) => volume.delete()),
          ErrorCode.NO_STORAGE_VOL,
        );
      } catch (err) {
        this.oldLeft = true;
        this.ctx.logger.warn(
          { hypervisor: hv.name, machine: facts.name, volume: path, error: errorMessage(err) },
          'rebuilt, but the old volume could not be removed: the sweeper will',
        );
      }
    }
    this.ctx.logger.info(
      { hypervisor: hv.name, machine: facts.name, image: metadata.imageId, user: this.req.by },
      'machine rebuilt',
    );
    return readMachine(conn, hv, domain, this.ctx.clock);
  }
}
