/**
 * Creating a machine, vmango 0.6's flow — clone the image, resize, define, upload and attach the
 * config drive, reserve an address, start — where every completed step is undone when a later one
 * fails (machine-build.ts), so a failed create leaves no volume, domain, DHCP host entry or ISO
 * behind. The two slow steps, reserving the address and starting QEMU, overlap (startWithAddress).
 */
import type { HypervisorConfig } from '../../../config/index.js';
import { AffectFlags, DomainXmlFlags, type Connection, type Domain, type StoragePool } from '../../../libvirt/index.js';
import { findImage, type ImageWithVolume } from '../../images/image-service.js';
import { machineIdFromUuid } from '../../../core/machine-id.js';
import { parseDomainXml } from '../domain-xml.js';
import type { Machine } from '../../../core/machine.js';
import { buildMetadata, normalizeUserdata } from '../metadata.js';
import type { CreateMachineRequest } from '../../../core/requests.js';
import { ServiceError } from '../../../core/service-error.js';
import { vmangoTemplateContext, type TemplateImageInput, type TemplateMachineInput } from '../template-context.js';
import { readMachine } from '../cache/read-machine.js';
import { configDriveDevice } from './config-drive-device.js';
import { validateCreateRequest, type ValidRequest } from './validate-request.js';
import { readVolumePlan } from './volume-plan.js';
import {
  domainExists,
  isTestDriver,
  MachineBuild,
  machineLockKey,
  nameConflict,
  queuedBuild,
  step,
  templateImage,
  type CreateContext,
} from './machine-build.js';

export { machineLockKey, staleMarkMs, type CreateContext, type CreateHooks, type CreateStep } from './machine-build.js';

export async function createMachine(ctx: CreateContext, request: CreateMachineRequest): Promise<Machine> {
  const valid = validateCreateRequest(ctx.config, request, (name, field) => ctx.access.config(name, field));
  const { hv } = valid;
  const key = machineLockKey(hv.name, valid.name);
  if (ctx.machineLocks.isHeld(key)) throw nameConflict(valid.name, hv.name, ' (it is being created or changed right now)');
  return ctx.machineLocks.run(key, () =>
    queuedBuild(ctx, hv.name, () =>
      ctx.access.run(hv.name, `create machine ${valid.name}`, (conn) => new Creation(ctx, hv, conn, valid).run()),
    ),
  );
}

class Creation extends MachineBuild {
  constructor(
    ctx: CreateContext,
    hv: HypervisorConfig,
    conn: Connection,
    private readonly req: ValidRequest,
  ) {
    super(ctx, hv, conn, req.name);
  }

  async run(): Promise<Machine> {
    const { hv, conn, req } = this;
    const image = await step('failed to list images', () => findImage(conn, hv, req.imageId, this.ctx.logger));
    if (!image)
      throw new ServiceError('bad-request', `image "${req.imageId}" not found on provider "${hv.name}"`, { fields: ['Image'] });
    if (isTestDriver(hv)) {
      if (await domainExists(conn, req.name)) throw this.conflict();
      throw new ServiceError(
        'unsupported',
        `provider '${hv.name}' uses libvirt's test driver, which cannot clone an image into another storage pool ` +
          'or upload a config drive; machines can be created only on a real (qemu/kvm) hypervisor',
      );
    }
    return this.marked((rootPool) => this.build(rootPool, image));
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
    const facts = parseDomainXml(await domain.getXmlDesc({ flags: DomainXmlFlags.INACTIVE }));
    await this.recordOwner(domain, facts.properties, req.creator);
    await this.after('domain-defined');

    const isoPath = await this.uploadConfigDrive(rootPool, {
      uuid32: machineIdFromUuid(facts.uuid),
      sshKeys: req.sshKeys,
      userdata: normalizeUserdata(req.userdata),
    });
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

  private async defineDomain(
    machineInput: TemplateMachineInput,
    imageInput: TemplateImageInput,
    plan: { name: string; memoryBytes: number; cpus: number; diskSizeBytes: number },
    image: ImageWithVolume,
    diskPath: string,
  ): Promise<Domain> {
    const { hv, req } = this;
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
    return this.define(xml);
  }
}
