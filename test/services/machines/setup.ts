// Building a configured machine service over real libvirt connections (test driver or harness).
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseConfig, type Config } from '../../../server/config/index.js';
import type { PanelOptions } from '../../../server/app/panel.js';
import type { MachineServiceHandle } from '../../../server/services/machines/service.js';
import type { ConnectionManager } from '../../../server/hypervisors/connection-manager.js';
import type { Connection } from '../../../server/libvirt/index.js';
import { createLogger, type Logger } from '../../../server/core/log.js';
import { startTestServices } from '../../helpers/panel.js';

export const DEMO_FIXTURE = fileURLToPath(new URL('../../../demo/hypervisor.xml', import.meta.url));
export const DEMO_VM_TEMPLATE = fileURLToPath(new URL('../../../demo/vm.xml.in', import.meta.url));
export const VOLUME_TEMPLATE = fileURLToPath(new URL('../../../templates/volume.xml.in', import.meta.url));
export const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMwpVbhzB4dcwUbD1tRsbtQTzSsTnjTPRXUMsAa5O1Y3 test@vmango';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A logger whose lines are kept for assertions. */
export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: createLogger('debug', sink), lines };
}

export interface HypervisorBlock {
  name: string;
  url: string;
  imagePool: string;
  rootPool: string;
  network: string;
  vmTemplate: string;
  volumeTemplate: string;
  ignoreVms?: string[];
  configDriveFormat?: 'openstack' | 'nocloud';
  callTimeout?: string;
}

export function serviceConfig(
  hypervisors: HypervisorBlock[],
  plans = 'plan "small" {\n memory = 64\n cpus = 1\n disk_size = 1\n}\n',
): Config {
  const blocks = hypervisors
    .map(
      (hv) => `
hypervisor "${hv.name}" {
  url = "${hv.url}"
  image_storage_pool = "${hv.imagePool}"
  root_storage_pool = "${hv.rootPool}"
  network = "${hv.network}"
  vm_template = "${hv.vmTemplate}"
  volume_template = "${hv.volumeTemplate}"
  ${hv.ignoreVms ? `ignore_vms = ${JSON.stringify(hv.ignoreVms)}` : ''}
  ${hv.configDriveFormat ? `config_drive_format = "${hv.configDriveFormat}"` : ''}
  ${hv.callTimeout ? `call_timeout = "${hv.callTimeout}"` : ''}
}`,
    )
    .join('\n');
  const text = `
listen = "127.0.0.1:8000"
session_secret = "0123456789abcdef0123456789abcdef0123"
${blocks}
${plans}
user "admin" {
  password = "$2a$10$uztHNVBxZ08LBmboJpAqguN4gZSymgmjaJ2xPHKwAqH.ukgaplb96"
}
ssh_key "test" {
  public = "${SSH_KEY}"
}
`;
  return parseConfig(text, { filename: 'service-test.hcl', baseDir: '/' });
}

export function demoHypervisor(name = 'DEMO', extra: Partial<HypervisorBlock> = {}): HypervisorBlock {
  return {
    name,
    url: `test://${DEMO_FIXTURE}`,
    imagePool: 'vmango-images',
    rootPool: 'default',
    network: 'vmango',
    vmTemplate: DEMO_VM_TEMPLATE,
    volumeTemplate: VOLUME_TEMPLATE,
    ...extra,
  };
}

export interface ServiceSetup {
  service: MachineServiceHandle;
  manager: ConnectionManager<Connection>;
  config: Config;
  lines: LogLine[];
  close(): Promise<void>;
}

/** The panel's machine service and connections (the composition root's), with quick reconnects. */
export async function startService(config: Config, machines: PanelOptions['machines'] = {}): Promise<ServiceSetup> {
  const services = await startTestServices(config, { machines, connections: { backoffInitialMs: 50, backoffMaxMs: 500 } });
  return {
    service: services.machines,
    manager: services.hypervisors,
    config,
    lines: services.lines as LogLine[],
    close: () => services.close(),
  };
}
