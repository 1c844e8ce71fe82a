// Fixtures on the real harness hypervisor: own networks, templates in a temp dir, leftover checks, cleanup.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ErrorCode, LibvirtError, openConnection, type Connection } from '../../../server/libvirt/index.js';
import type { HarnessEnv } from '../../helpers/harness.js';
import type { HypervisorBlock } from './setup.js';

const run = promisify(execFile);
const TEMPLATES = fileURLToPath(new URL('../../../templates/', import.meta.url));

export async function virsh(env: HarnessEnv, ...args: string[]): Promise<string> {
  const { stdout } = await run('virsh', ['-q', '-c', env.uri, ...args], { timeout: 60_000 });
  return stdout;
}

/** A persistent, active, isolated DHCP network of our own, so other test files' reservations never mix with ours. */
export async function defineNetwork(
  env: HarnessEnv,
  dir: string,
  name: string,
  bridge: string,
  subnet: number,
  range: [number, number],
  hosts = '',
): Promise<void> {
  const file = join(dir, `${name}.xml`);
  writeFileSync(
    file,
    `<network><name>${name}</name><bridge name='${bridge}'/>
  <ip address='10.${subnet >> 8}.${subnet & 255}.1' netmask='255.255.255.0'><dhcp>
  <range start='10.${subnet >> 8}.${subnet & 255}.${range[0]}' end='10.${subnet >> 8}.${subnet & 255}.${range[1]}'/>${hosts}
  </dhcp></ip></network>`,
  );
  await removeNetwork(env, name);
  await virsh(env, 'net-define', file);
  await virsh(env, 'net-start', name);
}

export async function removeNetwork(env: HarnessEnv, name: string): Promise<void> {
  await virsh(env, 'net-destroy', name).catch(() => undefined);
  await virsh(env, 'net-undefine', name).catch(() => undefined);
}

/** templates/vm.xml.in for the harness: its domain type, no host-model CPU (TCG). */
export function harnessTemplates(env: HarnessEnv): {
  dir: string;
  vm: string;
  volume: string;
  linked: string;
  badVolume: string;
  badVm: string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'vmango-svc-harness-'));
  const vm = readFileSync(join(TEMPLATES, 'vm.xml.in'), 'utf8')
    .replace("<domain type='kvm'>", `<domain type='${env.domainType}'>`)
    .replace("  <cpu mode='host-model'/>\n", '');
  const files = {
    vm: vm,
    volume: readFileSync(join(TEMPLATES, 'volume.xml.in'), 'utf8'),
    linked: readFileSync(join(TEMPLATES, 'volume-linked.xml.in'), 'utf8'),
    // libvirt rejects the unit.
    badVolume: readFileSync(join(TEMPLATES, 'volume.xml.in'), 'utf8').replace("unit='G'", "unit='parsecs'"),
    // libvirt refuses a machine type QEMU does not have.
    badVm: vm.replace("machine='pc'", "machine='no-such-machine-type'"),
  };
  const paths = {} as Record<keyof typeof files, string>;
  for (const [key, text] of Object.entries(files) as [keyof typeof files, string][]) {
    paths[key] = join(dir, `${key}.xml.in`);
    writeFileSync(paths[key], text);
  }
  return { dir, ...paths };
}

/**
 * Hypervisor blocks on the harness: its URI and pools, `network`, the harness templates and a
 * 30 s call deadline; `extra` changes any of them.
 */
export function harnessHypervisor(
  env: HarnessEnv,
  templates: { vm: string; volume: string },
  network: string,
): (name: string, extra?: Partial<HypervisorBlock>) => HypervisorBlock {
  return (name, extra = {}) => ({
    name,
    url: env.uri,
    imagePool: env.imagePool,
    rootPool: env.rootPool,
    network,
    vmTemplate: templates.vm,
    volumeTemplate: templates.volume,
    callTimeout: '30s',
    ...extra,
  });
}

export async function rawConnection(env: HarnessEnv): Promise<Connection> {
  return openConnection(env.uri, { callTimeoutMs: 30_000 });
}

async function exists(work: Promise<unknown>, missing: number): Promise<boolean> {
  try {
    await work;
    return true;
  } catch (err) {
    if (err instanceof LibvirtError && err.code === missing) return false;
    throw err;
  }
}

/**
 * libvirt refuses to refresh a pool while a volume is being built in it ("pool 'default' has
 * asynchronous jobs running"), which other test files running at the same time cause: retry.
 */
async function refreshPool(pool: Awaited<ReturnType<Connection['lookupStoragePoolByName']>>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await pool.refresh();
      return;
    } catch (err) {
      if (!(err instanceof LibvirtError && /asynchronous jobs running/.test(err.message)) || attempt >= 40) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** Everything of machine `name` still on the hypervisor: its domain, volumes, DHCP host entries. */
export async function leftovers(conn: Connection, env: HarnessEnv, network: string, name: string): Promise<string[]> {
  const found: string[] = [];
  if (await exists(conn.lookupDomainByName(name), ErrorCode.NO_DOMAIN)) found.push(`domain ${name}`);
  const pool = await conn.lookupStoragePoolByName(env.rootPool);
  await refreshPool(pool);
  for (const volume of await pool.listAllVolumes()) {
    if ([`${name}_disk`, `${name}_config.iso`, `${name}_creating`].includes(volume.name)) found.push(`volume ${volume.name}`);
  }
  const xml = await (await conn.lookupNetworkByName(network)).getXmlDesc();
  if (xml.includes(`name='${name}'`)) found.push(`DHCP host ${name}`);
  return found;
}

/** Removes whatever a test left with names starting with `prefix`. */
export async function cleanupPrefix(conn: Connection, env: HarnessEnv, prefix: string): Promise<void> {
  for (const entry of await conn.listAllDomains({ withXml: false })) {
    if (!entry.name.startsWith(prefix)) continue;
    await entry.domain.destroy().catch(() => undefined);
    await entry.domain.undefine({ flags: 1 | 2 | 4 }).catch(() => undefined);
  }
  for (const poolName of [env.rootPool, env.imagePool]) {
    const pool = await conn.lookupStoragePoolByName(poolName);
    await refreshPool(pool).catch(() => undefined);
    for (const volume of await pool.listAllVolumes()) {
      if (volume.name.toLowerCase().startsWith(prefix.toLowerCase())) await volume.volume.delete().catch(() => undefined);
    }
  }
}

export async function downloadVolume(conn: Connection, pool: string, name: string): Promise<Buffer> {
  const volume = await (await conn.lookupStoragePoolByName(pool)).lookupVolumeByName(name);
  const chunks: Buffer[] = [];
  await volume.download(
    new Writable({
      write(chunk: Buffer, _e, done) {
        chunks.push(chunk);
        done();
      },
    }),
  );
  return Buffer.concat(chunks);
}

/** Files of an ISO image read with isoinfo (Rock Ridge names), and its volume id. */
export async function readIso(iso: Buffer): Promise<{ volumeId: string; files: Map<string, string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'vmango-svc-iso-'));
  const file = join(dir, 'drive.iso');
  writeFileSync(file, iso);
  const info = (await run('isoinfo', ['-d', '-i', file])).stdout;
  const volumeId = /Volume id: (.*)/.exec(info)?.[1]?.trim() ?? '';
  const listing = (await run('isoinfo', ['-R', '-f', '-i', file])).stdout.split('\n').filter(Boolean);
  const files = new Map<string, string>();
  for (const path of listing) {
    const content = await run('isoinfo', ['-R', '-x', path, '-i', file], { encoding: 'buffer' }).catch(() => undefined);
    if (content && content.stdout.length > 0) files.set(path.replace(/^\//, ''), content.stdout.toString('utf8'));
  }
  return { volumeId, files };
}
