/**
 * The data vmango 0.6 hands to its domain and volume XML templates ({Machine, Image, Plan, VolumePath,
 * Network, Metadata}), built from JS classes that behave in Go text/template exactly like vmango's Go
 * models (models/*.go): same field names, same methods, same printing.
 */
import { GoNamed, GoNumber, GoTime, GoTypedNil, type TrustedXml } from '../../formats/gotemplate/index.js';

export type HWArch = 'x86_64' | 'x86' | 'unknown';
export type ImageFormat = 'raw' | 'qcow2' | 'unknown';

export interface TemplateMachineInput {
  name: string;
  sshKeys: { name: string; public: string }[];
  userdata: string;
  creator: string;
  id?: string;
  os?: string;
  arch?: HWArch;
  memoryBytes?: number;
  cpus?: number;
  imageId?: string;
  plan?: string;
  hwaddr?: string;
  vncAddr?: string;
  ip?: string;
}
export interface TemplateImageInput {
  id: string;
  os: string;
  arch: HWArch;
  sizeBytes: number;
  format: ImageFormat;
  date: Date;
  poolName: string;
}
export interface TemplatePlanInput {
  name: string;
  memoryBytes: number;
  cpus: number;
  diskSizeBytes: number;
}
export interface TemplateContextInput {
  machine: TemplateMachineInput;
  image: TemplateImageInput;
  plan: TemplatePlanInput;
  volumePath?: string;
  network?: string;
  metadata?: TrustedXml | string;
}

const ARCH_CODES: Record<HWArch, number> = { unknown: 0, x86_64: 1, x86: 4 };
const FORMAT_CODES: Record<ImageFormat, number> = { unknown: 0, raw: 1, qcow2: 2 };
const MB = 1024 * 1024;

/** models.HWArch: an int (ARCH_UNKNOWN=0, ARCH_X86_64=1, ARCH_X86=4) whose String() is the arch name. */
export class GoHWArch extends GoNamed {
  constructor(arch: HWArch) {
    if (!(arch in ARCH_CODES)) throw new RangeError(`arch must be one of x86_64, x86, unknown; got ${JSON.stringify(arch)}`);
    super('models.HWArch', ARCH_CODES[arch]);
  }
  String(): string {
    switch (this.value) {
      case 1:
        return 'x86_64';
      case 4:
        return 'x86';
      default:
        return 'unknown';
    }
  }
}

export class GoSSHKey {
  static readonly goTypeName = '*models.SSHKey';
  constructor(
    public Name: string,
    public Public: string,
  ) {}
}

export class GoIP {
  static readonly goTypeName = '*models.IP';
  Address: string;
  Gateway = '';
  Netmask = 0;
  UsedBy = '';
  constructor(address: string) {
    this.Address = address;
  }
}

export class GoVirtualMachineDisk {
  static readonly goTypeName = '*models.VirtualMachineDisk';
  constructor(
    public Size: GoNumber,
    public Driver: string,
    public Type: string,
  ) {}
  SizeGigabytes(): number {
    return Number(BigInt(this.Size.value) / 1024n / 1024n / 1024n);
  }
}

export const STATE_RUNNING = 0;
export const STATE_STOPPED = 1;
export const STATE_UNKNOWN = 2;

export class GoVirtualMachine {
  static readonly goTypeName = '*models.VirtualMachine';
  Id: string;
  Name: string;
  Plan: string;
  Creator: string;
  Userdata: string;
  OS: string;
  Arch: GoHWArch;
  State: number = STATE_UNKNOWN;
  Memory: number;
  Cpus: number;
  ImageId: string;
  Ip: GoIP | GoTypedNil;
  HWAddr: string;
  VNCAddr: string;
  RootDisk: GoVirtualMachineDisk | GoTypedNil = new GoTypedNil('*models.VirtualMachineDisk', ['Size', 'Driver', 'Type']);
  SSHKeys: GoSSHKey[];

  constructor(m: TemplateMachineInput) {
    this.Id = m.id ?? '';
    this.Name = m.name;
    this.Plan = m.plan ?? '';
    this.Creator = m.creator;
    this.Userdata = m.userdata;
    this.OS = m.os ?? '';
    this.Arch = new GoHWArch(m.arch ?? 'unknown');
    this.Memory = m.memoryBytes ?? 0;
    this.Cpus = m.cpus ?? 0;
    this.ImageId = m.imageId ?? '';
    this.Ip = m.ip !== undefined ? new GoIP(m.ip) : new GoTypedNil('*models.IP', ['Address', 'Gateway', 'Netmask', 'UsedBy']);
    this.HWAddr = m.hwaddr ?? '';
    this.VNCAddr = m.vncAddr ?? '';
    this.SSHKeys = m.sshKeys.map((k) => new GoSSHKey(k.name, k.public));
    Object.defineProperty(this.SSHKeys, 'goTypeName', { value: '[]*models.SSHKey', enumerable: false });
  }

  StateName(): string {
    switch (this.State) {
      case STATE_RUNNING:
        return 'running';
      case STATE_STOPPED:
        return 'stopped';
      default:
        return 'unknown';
    }
  }
  IsRunning(): boolean {
    return this.State === STATE_RUNNING;
  }
  MemoryMegabytes(): number {
    return Math.trunc(this.Memory / MB);
  }
  HasUserdata(): boolean {
    return this.Userdata !== '';
  }
  String(): string {
    return this.Name;
  }
}

export class GoImage {
  static readonly goTypeName = '*models.Image';
  Id: string;
  OS: string;
  Arch: GoHWArch;
  Size: GoNumber;
  Type: number;
  Date: GoTime;
  PoolName: string;

  constructor(i: TemplateImageInput) {
    if (!(i.format in FORMAT_CODES))
      throw new RangeError(`image format must be raw, qcow2 or unknown; got ${JSON.stringify(i.format)}`);
    if (!Number.isSafeInteger(i.sizeBytes) || i.sizeBytes < 0)
      throw new RangeError(`image sizeBytes must be a non-negative integer, got ${i.sizeBytes}`);
    this.Id = i.id;
    this.OS = i.os;
    this.Arch = new GoHWArch(i.arch);
    this.Size = new GoNumber(i.sizeBytes, 'uint64');
    this.Type = FORMAT_CODES[i.format];
    this.Date = new GoTime(i.date);
    this.PoolName = i.poolName;
  }

  OSName(): string {
    return this.OS.split('-')[0]!;
  }
  /** Go indexes strings.Split(OS, "-")[1] and panics when OS has no "-"; we return "" instead of crashing. */
  OSVersion(): string {
    return this.OS.split('-')[1] ?? '';
  }
  SizeMegabytes(): number {
    return Math.trunc(Number(this.Size.value) / MB);
  }
  TypeString(): string {
    switch (this.Type) {
      case 1:
        return 'raw';
      case 2:
        return 'qcow2';
      default:
        return 'unknown';
    }
  }
}

export class GoPlan {
  static readonly goTypeName = '*models.Plan';
  Name: string;
  Memory: number;
  Cpus: number;
  DiskSize: number;
  constructor(p: TemplatePlanInput) {
    for (const [k, v] of [
      ['memoryBytes', p.memoryBytes],
      ['cpus', p.cpus],
      ['diskSizeBytes', p.diskSizeBytes],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`plan ${k} must be a non-negative integer, got ${v}`);
    }
    this.Name = p.name;
    this.Memory = p.memoryBytes;
    this.Cpus = p.cpus;
    this.DiskSize = p.diskSizeBytes;
  }
  MemoryMegabytes(): number {
    return Math.trunc(this.Memory / MB);
  }
  DiskSizeGigabytes(): number {
    return Math.trunc(this.DiskSize / (MB * 1024));
  }
}

/** The template context struct (an anonymous struct in vmango; printed as a plain struct). */
export class VmangoTemplateContext {
  static readonly goTypeName =
    'struct { Machine *models.VirtualMachine; Image *models.Image; Plan *models.Plan; VolumePath string; Network string; Metadata string }';
  constructor(
    public Machine: GoVirtualMachine,
    public Image: GoImage,
    public Plan: GoPlan,
    public VolumePath: string,
    public Network: string,
    public Metadata: TrustedXml | string,
  ) {}
}

export function vmangoTemplateContext(input: TemplateContextInput): unknown {
  return new VmangoTemplateContext(
    new GoVirtualMachine(input.machine),
    new GoImage(input.image),
    new GoPlan(input.plan),
    input.volumePath ?? '',
    input.network ?? '',
    input.metadata ?? '',
  );
}
