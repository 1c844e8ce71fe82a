/**
 * A guest that echoes its serial port (fixtures/echo-boot.S, a boot sector assembled here with
 * binutils): every byte sent to its console comes straight back, so console tests can check
 * both directions byte for byte. Its disk is a volume in the harness's root pool.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Connection, Domain } from '../../server/libvirt/index.js';
import type { HarnessEnv } from '../helpers/harness.js';

export const ECHO_READY = 'VMANGO-ECHO-READY';
export const BLAST_READY = 'VMANGO-BLAST-READY';
/** Bytes the blast guest sends for each byte it receives (see fixtures/blast-boot.S). */
export const BLAST_UNIT = 128 * 1024;

export type GuestProgram = 'echo' | 'blast';
const SOURCES: Record<GuestProgram, string> = {
  echo: fileURLToPath(new URL('./fixtures/echo-boot.S', import.meta.url)),
  blast: fileURLToPath(new URL('./fixtures/blast-boot.S', import.meta.url)),
};
const bootSectors = new Map<GuestProgram, Buffer>();

/** The echo guest's 512-byte boot sector, assembled once per process. */
export function echoBootSector(): Buffer {
  return bootSectorOf('echo');
}

/** A guest program's 512-byte boot sector, assembled once per process. */
export function bootSectorOf(program: GuestProgram): Buffer {
  let bootSector = bootSectors.get(program);
  if (!bootSector) {
    const dir = mkdtempSync(join(tmpdir(), 'vmango-echo-'));
    execFileSync('as', ['--32', '-o', join(dir, 'echo.o'), SOURCES[program]]);
    execFileSync('ld', [
      '-m',
      'elf_i386',
      '-Ttext',
      '0x7c00',
      '--oformat',
      'binary',
      '-o',
      join(dir, 'echo.bin'),
      join(dir, 'echo.o'),
    ]);
    bootSector = readFileSync(join(dir, 'echo.bin'));
    if (bootSector.length !== 512) throw new Error(`${program} boot sector is ${bootSector.length} bytes, not 512`);
    bootSectors.set(program, bootSector);
  }
  return bootSector;
}

export function echoDomainXml(
  env: HarnessEnv,
  name: string,
  diskPath: string,
  options: { vnc?: boolean; agentChannel?: boolean } = {},
): string {
  return `<domain type='${env.domainType}'>
  <name>${name}</name>
  <memory unit='MiB'>16</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${diskPath}'/><target dev='hda' bus='ide'/></disk>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>${options.agentChannel ? "\n    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>" : ''}${options.vnc ? "\n    <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>" : ''}
    <memballoon model='none'/>
  </devices>
</domain>`;
}

/** Defines and starts an echo guest; the returned cleanup destroys it and its disk. */
export async function startEchoGuest(
  conn: Connection,
  env: HarnessEnv,
  name: string,
  /** agentChannel: the guest agent's channel, which nothing in this guest ever answers. */
  options: { vnc?: boolean; program?: GuestProgram; agentChannel?: boolean } = {},
): Promise<{ domain: Domain; cleanup: () => Promise<void> }> {
  const pool = await conn.lookupStoragePoolByName(env.rootPool);
  const volume = await pool.createVolume(
    `<volume><name>${name}.img</name><capacity unit='bytes'>1048576</capacity><target><format type='raw'/></target></volume>`,
  );
  const image = Buffer.alloc(1024 * 1024);
  bootSectorOf(options.program ?? 'echo').copy(image);
  await volume.upload(image);
  const domain = await conn.defineDomain(echoDomainXml(env, name, await volume.getPath(), options));
  await domain.start();
  return {
    domain,
    cleanup: async () => {
      await domain.destroy().catch(() => undefined);
      await domain.undefine().catch(() => undefined);
      await volume.delete().catch(() => undefined);
    },
  };
}
