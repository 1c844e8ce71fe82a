import { parseDuration } from './duration.js';
import { keyPath, readDuration, readInteger, readString, readStringList } from './fields.js';
import type { LabeledBlock } from './labeled-blocks.js';
import { loadTemplateFile } from './template-file.js';
import { CONFIG_DRIVE_FORMATS, isConfigDriveFormat, type ConfigDriveFormat } from '../core/config-drive-format.js';
import type { HypervisorConfig } from './types.js';
import { reportUnknownKeys } from './unknown-keys.js';

export const HYPERVISOR_KEYS = [
  'url',
  'image_storage_pool',
  'root_storage_pool',
  'network',
  'vm_template',
  'volume_template',
  'ignore_vms',
  'ignored_vms',
  'config_drive_format',
  'call_timeout',
  'long_call_timeout',
  'keepalive_interval',
  'keepalive_count',
] as const;

export const HYPERVISOR_DEFAULTS = {
  configDriveFormat: 'openstack' as ConfigDriveFormat,
  callTimeoutMs: 15_000,
  longCallTimeoutMs: 600_000,
  keepaliveInterval: 5,
  keepaliveCount: 3,
};

const LIBVIRT_URI = /^[a-z][a-z0-9+.-]*:\/\/[^\s]*$/i;

function libvirtUriProblem(url: string): string | undefined {
  const allowed = 'a libvirt connection URI like "qemu:///system" or "qemu+ssh://user@host/system", or "" for libvirt\'s default';
  if (!LIBVIRT_URI.test(url)) return `invalid libvirt URI ${JSON.stringify(url)}: allowed is ${allowed}`;
  try {
    new URL(url);
  } catch {
    return `invalid libvirt URI ${JSON.stringify(url)}: allowed is ${allowed}`;
  }
  return undefined;
}

/** Builds one hypervisor from its block; undefined when anything in it is wrong (problems recorded). */
export function readHypervisor({ name, reader }: LabeledBlock, baseDir: string): HypervisorConfig | undefined {
  const { problems } = reader;
  const before = problems.list.length;
  reportUnknownKeys(reader.body, HYPERVISOR_KEYS, reader.prefix, problems);

  const url = readString(reader, 'url', { what: 'a libvirt connection URI', allowEmpty: true }) ?? '';
  if (url !== '') {
    const bad = libvirtUriProblem(url);
    if (bad) problems.add(keyPath(reader, 'url'), bad);
  }
  const imageStoragePool = readString(reader, 'image_storage_pool', {
    required: true,
    what: 'the libvirt storage pool holding the images',
  });
  const rootStoragePool = readString(reader, 'root_storage_pool', {
    required: true,
    what: "the libvirt storage pool for machines' root disks",
  });
  const network = readString(reader, 'network', { required: true, what: 'the libvirt network name' });
  const vmTemplatePath = readString(reader, 'vm_template', { required: true, what: 'the path of the domain XML template' });
  const volumeTemplatePath = readString(reader, 'volume_template', {
    required: true,
    what: 'the path of the volume XML template',
  });
  const vmTemplate =
    vmTemplatePath === undefined
      ? undefined
      : loadTemplateFile(vmTemplatePath, baseDir, keyPath(reader, 'vm_template'), problems);
  const volumeTemplate =
    volumeTemplatePath === undefined
      ? undefined
      : loadTemplateFile(volumeTemplatePath, baseDir, keyPath(reader, 'volume_template'), problems);

  const ignoreVms = readIgnoredVms(reader);

  const formats = CONFIG_DRIVE_FORMATS.map((f) => JSON.stringify(f)).join(' or ');
  const configDriveFormat = readString(reader, 'config_drive_format', { what: formats });
  if (configDriveFormat !== undefined && !isConfigDriveFormat(configDriveFormat)) {
    problems.add(keyPath(reader, 'config_drive_format'), `must be ${formats}, got ${JSON.stringify(configDriveFormat)}`);
  }
  const callTimeoutMs = readDuration(reader, 'call_timeout', {
    defaultMs: HYPERVISOR_DEFAULTS.callTimeoutMs,
    positive: true,
    parse: parseDuration,
  });
  const longCallTimeoutMs = readDuration(reader, 'long_call_timeout', {
    defaultMs: HYPERVISOR_DEFAULTS.longCallTimeoutMs,
    positive: true,
    parse: parseDuration,
  });
  const keepaliveInterval =
    readInteger(reader, 'keepalive_interval', { min: 1, max: 3600, what: 'seconds between libvirt keepalive messages' }) ??
    HYPERVISOR_DEFAULTS.keepaliveInterval;
  const keepaliveCount =
    readInteger(reader, 'keepalive_count', {
      min: 1,
      max: 100,
      what: 'unanswered keepalives before the connection counts as dead',
    }) ?? HYPERVISOR_DEFAULTS.keepaliveCount;

  if (
    problems.list.length !== before ||
    imageStoragePool === undefined ||
    rootStoragePool === undefined ||
    network === undefined ||
    vmTemplate === undefined ||
    volumeTemplate === undefined ||
    callTimeoutMs === undefined ||
    longCallTimeoutMs === undefined
  ) {
    return undefined;
  }
  return {
    name,
    url,
    imageStoragePool,
    rootStoragePool,
    network,
    vmTemplatePath: vmTemplate.path,
    volumeTemplatePath: volumeTemplate.path,
    vmTemplate: vmTemplate.template,
    volumeTemplate: volumeTemplate.template,
    ignoreVms: ignoreVms ?? [],
    configDriveFormat: (configDriveFormat as ConfigDriveFormat | undefined) ?? HYPERVISOR_DEFAULTS.configDriveFormat,
    callTimeoutMs,
    longCallTimeoutMs,
    keepaliveInterval,
    keepaliveCount,
  };
}

// vmango 0.6 reads `ignore_vms`; its documentation says `ignored_vms`. Both spellings are accepted.
function readIgnoredVms(reader: LabeledBlock['reader']): string[] | undefined {
  const hasShipped = Object.hasOwn(reader.body, 'ignore_vms');
  const hasDocumented = Object.hasOwn(reader.body, 'ignored_vms');
  if (hasShipped && hasDocumented) {
    reader.problems.add(
      keyPath(reader, 'ignored_vms'),
      'both ignore_vms and ignored_vms are set: they are two spellings of the same key, use only one',
    );
    return undefined;
  }
  return readStringList(reader, hasDocumented ? 'ignored_vms' : 'ignore_vms', 'names of libvirt domains to leave out');
}
