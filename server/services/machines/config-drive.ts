/**
 * The cloud-init config drive uploaded next to a machine's disk: an ISO 9660 image (Rock Ridge and
 * Joliet) in OpenStack form (volume id `config-2`, what vmango 0.6 wrote) or NoCloud form (`cidata`).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ConfigDriveFormat } from '../../core/config-drive-format.js';
import type { SshKey } from '../../core/machine.js';
import { encodeGoJsonString } from '../../formats/go/json.js';
import { yamlSafeString } from '../../formats/yaml.js';

export interface ConfigDriveInput {
  format: ConfigDriveFormat;
  /** Machine name, used as hostname. */
  name: string;
  /** Machine id: the domain UUID as 32 hex digits. */
  uuid32: string;
  sshKeys: readonly SshKey[];
  userdata: string;
  /** NoCloud only: the `network-config` file's content (cloud-init network config v1 or v2). */
  networkConfig?: string;
  /**
   * The platform's own cloud-config, beside the user's userdata (cloud-init's vendor data, which a
   * guest may turn off): `vendor-data` (NoCloud) or `openstack/latest/vendor_data.json`.
   */
  vendordata?: string;
}

export interface ConfigDriveFile {
  /** Path inside the ISO, without a leading slash. */
  path: string;
  content: string;
}

export class ConfigDriveError extends Error {
  override readonly name = 'ConfigDriveError';
}

const UUID32 = /^[0-9a-f]{32}$/;

function checkInput(input: ConfigDriveInput): void {
  if (input.format !== 'openstack' && input.format !== 'nocloud') {
    throw new ConfigDriveError(
      `config drive format ${JSON.stringify(input.format)} is unknown; allowed are "openstack" and "nocloud"`,
    );
  }
  if (input.name === '') throw new ConfigDriveError('config drive needs the machine name; it is empty');
  if (!UUID32.test(input.uuid32)) {
    throw new ConfigDriveError(
      `config drive needs the machine id as 32 lower-case hex digits; got ${JSON.stringify(input.uuid32)}`,
    );
  }
  if (input.format === 'openstack' && input.networkConfig !== undefined) {
    throw new ConfigDriveError('a network config is only written to "nocloud" config drives; the "openstack" form has none');
  }
}

/** Keys as a Go map[string]string: the last of duplicate names wins, sorted bytewise as encoding/json does. */
function keysByName(keys: readonly SshKey[]): [string, string][] {
  const byName = new Map<string, string>();
  for (const key of keys) byName.set(key.name, key.public);
  return [...byName].sort(([a], [b]) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}

/** `openstack/latest/meta_data.json` exactly as 0.6 wrote it (Go's json.Marshal of its struct). */
export function openstackMetaDataJson(input: Pick<ConfigDriveInput, 'name' | 'uuid32' | 'sshKeys'>): string {
  const keys = keysByName(input.sshKeys).map(([name, key]) => `${encodeGoJsonString(name)}:${encodeGoJsonString(key)}`);
  const name = encodeGoJsonString(input.name);
  return (
    `{"availability_zone":"none","files":[],"hostname":${name},"launch_index":0,"name":${name},` +
    `"meta":{},"public_keys":{${keys.join(',')}},"uuid":${encodeGoJsonString(input.uuid32)}}`
  );
}

/** NoCloud `meta-data`: a YAML mapping written in JSON syntax, which is valid YAML. */
export function nocloudMetaData(input: Pick<ConfigDriveInput, 'name' | 'uuid32' | 'sshKeys'>): string {
  const keys = keysByName(input.sshKeys).map(([name, key]) => `${yamlSafeString(name)}: ${yamlSafeString(key)}`);
  const name = yamlSafeString(input.name);
  return (
    `{"instance-id": ${yamlSafeString(input.uuid32)}, "local-hostname": ${name}, "hostname": ${name}, ` +
    `"public-keys": {${keys.join(', ')}}}\n`
  );
}

/** The volume id and files of the drive, without building it. */
export function configDriveContents(input: ConfigDriveInput): { volumeId: string; files: ConfigDriveFile[] } {
  checkInput(input);
  // 0.6 always had at least "\n" (TrimSpace + newline); an empty file is kept from cloud-init the same way.
  const userdata = input.userdata === '' ? '\n' : input.userdata;
  if (input.format === 'openstack') {
    const files: ConfigDriveFile[] = [
      { path: 'openstack/latest/meta_data.json', content: openstackMetaDataJson(input) },
      { path: 'openstack/latest/user_data', content: userdata },
    ];
    if (input.vendordata !== undefined) {
      files.push({
        path: 'openstack/latest/vendor_data.json',
        content: `{"cloud-init":${encodeGoJsonString(input.vendordata)}}`,
      });
    }
    return { volumeId: 'config-2', files };
  }
  const files: ConfigDriveFile[] = [
    { path: 'meta-data', content: nocloudMetaData(input) },
    { path: 'user-data', content: userdata },
  ];
  if (input.networkConfig !== undefined) files.push({ path: 'network-config', content: input.networkConfig });
  if (input.vendordata !== undefined) files.push({ path: 'vendor-data', content: input.vendordata });
  return { volumeId: 'cidata', files };
}

/** An mkisofs-compatible program: `command ...prefixArgs <mkisofs options>`. */
export interface IsoTool {
  command: string;
  prefixArgs?: string[];
}

/** Tried in order; the next is used only when a program is not installed. */
export const DEFAULT_ISO_TOOLS: readonly IsoTool[] = [
  { command: 'genisoimage' },
  { command: 'xorriso', prefixArgs: ['-as', 'mkisofs'] },
];

export interface BuildConfigDriveOptions {
  tools?: readonly IsoTool[];
  /** Where the temporary directory is made; the system's temp dir by default. */
  tmpRoot?: string;
  timeoutMs?: number;
}

function run(tool: IsoTool, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      tool.command,
      [...(tool.prefixArgs ?? []), ...args],
      { timeout: timeoutMs, maxBuffer: 1 << 20 },
      (err, _stdout, stderr) => {
        if (err) reject(Object.assign(err, { stderr: String(stderr) }));
        else resolve();
      },
    );
  });
}

function isNotInstalled(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Builds the drive's ISO image and returns its bytes. The files are staged in a fresh temporary
 * directory whose `root/` is imaged while the ISO is written beside it (0.6 wrote it into the
 * imaged directory); the directory is removed whether or not the build succeeds.
 */
export async function buildConfigDrive(input: ConfigDriveInput, options: BuildConfigDriveOptions = {}): Promise<Buffer> {
  const { volumeId, files } = configDriveContents(input);
  const tools = options.tools ?? DEFAULT_ISO_TOOLS;
  const work = await mkdtemp(join(options.tmpRoot ?? tmpdir(), 'vmango-config-drive-'));
  try {
    const root = join(work, 'root');
    const iso = join(work, 'config-drive.iso');
    for (const file of files) {
      const target = join(root, file.path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, file.content, 'utf8');
    }
    const args = ['-quiet', '-input-charset', 'utf-8', '-r', '-J', '-V', volumeId, '-o', iso, root];
    const tried: string[] = [];
    for (const tool of tools) {
      tried.push(tool.command);
      try {
        await run(tool, args, options.timeoutMs ?? 60_000);
      } catch (err) {
        if (isNotInstalled(err)) continue;
        const stderr = ((err as { stderr?: string }).stderr ?? '').trim();
        throw new ConfigDriveError(
          `failed to build the config drive ISO with ${tool.command}: ${(err as Error).message.split('\n')[0]}` +
            (stderr ? `: ${stderr}` : ''),
        );
      }
      return await readFile(iso);
    }
    throw new ConfigDriveError(
      `cannot build the config drive: none of ${tried.join(', ')} is installed (install genisoimage or xorriso)`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
