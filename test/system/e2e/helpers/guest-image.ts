// The bootable guest image from scripts/guest-image/build.sh: build it (or take it from the
// cache), put it into a libvirt image pool, and install its kernel and initrd where the
// direct-kernel domain template (templates/vm-direct-kernel.xml.in) expects them.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, readlink, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOk } from './run.js';
import { virsh } from './virsh.js';

export const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const BUILD_SCRIPT = join(REPO_DIR, 'scripts/guest-image/build.sh');
export const DIRECT_KERNEL_TEMPLATE = join(REPO_DIR, 'templates/vm-direct-kernel.xml.in');
/** Where templates/vm-direct-kernel.xml.in reads the kernel and initrd on the hypervisor host. */
export const GUEST_KERNEL_DIR = '/var/lib/vmango-guest';
export const IMAGE_FILE = 'Debian-12_amd64_qcow2.img';

export interface GuestImageManifest {
  key: string;
  suite: string;
  kernel: string;
  image: string;
  format: 'qcow2';
  arch: string;
  virtualBytes: number;
  cmdline: string;
  packages: string[];
  files: Record<string, { bytes: number; sha256: string }>;
  timings: Record<string, number>;
}

export interface GuestImage {
  /** The cache entry directory holding the outputs. */
  dir: string;
  imagePath: string;
  kernelPath: string;
  initrdPath: string;
  manifest: GuestImageManifest;
  /** Seconds build.sh took (about 0 when cached). */
  seconds: number;
}

/**
 * Runs build.sh (root, debootstrap and the Debian mirror needed unless the cache has the image).
 * Its progress goes to `onProgress` (e.g. process.stderr.write); a build takes 2–4 minutes.
 */
export async function buildGuestImage(
  options: { onProgress?: (line: string) => void; timeoutMs?: number } = {},
): Promise<GuestImage> {
  const started = performance.now();
  const [command, args] = await buildCommand();
  let stdout: string;
  try {
    stdout = await runOk(command, args, {
      timeoutMs: options.timeoutMs ?? 20 * 60_000,
      onStderr: options.onProgress,
    });
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\n(the build needs root and the Debian mirror; ` +
        `from outside the harness namespace, \`scripts/guest-image/build.sh\` fills the cache)`,
      { cause: error },
    );
  }
  const dir = stdout.trim().split('\n').at(-1) ?? '';
  if (!dir.startsWith('/')) throw new Error(`${BUILD_SCRIPT} printed no output directory: ${JSON.stringify(stdout)}`);
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as GuestImageManifest;
  return {
    dir,
    imagePath: join(dir, IMAGE_FILE),
    kernelPath: join(dir, 'vmlinuz'),
    initrdPath: join(dir, 'initrd.img'),
    manifest,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * build.sh downloads packages from the Debian mirror, which the harness namespace cannot reach
 * (it is isolated). When this process runs in another network namespace than the one it was
 * started from (`harness.sh exec` from a shell), the build runs in that outer namespace via
 * nsenter: the nearest ancestor process in a different namespace (the shell that ran
 * `harness.sh exec`) names it. A cached image needs no network either way.
 */
async function buildCommand(): Promise<[string, string[]]> {
  const outer = await outerNetworkNamespace();
  if (outer !== undefined && process.getuid?.() === 0) return ['nsenter', [`--net=${outer}`, '--', BUILD_SCRIPT]];
  return [BUILD_SCRIPT, []];
}

async function outerNetworkNamespace(): Promise<string | undefined> {
  let own: string;
  try {
    own = await readlink('/proc/self/ns/net');
  } catch {
    return undefined;
  }
  let pid = process.ppid;
  for (let depth = 0; depth < 64 && pid > 1; depth++) {
    try {
      if ((await readlink(`/proc/${pid}/ns/net`)) !== own) return `/proc/${pid}/ns/net`;
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      // "pid (comm) state ppid …"; comm may contain spaces and parentheses.
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Copies via a temporary name in the target directory and renames: readers never see half a file. */
async function atomicCopy(from: string, to: string): Promise<void> {
  const tmp = join(dirname(to), `.${process.pid}.${Date.now()}.tmp`);
  try {
    await copyFile(from, tmp);
    await rename(tmp, to);
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Installs the kernel and initrd at GUEST_KERNEL_DIR/vmlinuz and initrd.img (the fixed paths of
 * the direct-kernel template); files already identical are left alone. They stay installed:
 * every domain defined from the template boots from them.
 */
export async function installGuestKernel(
  image: GuestImage,
  dir: string = GUEST_KERNEL_DIR,
): Promise<{ kernel: string; initrd: string }> {
  await mkdir(dir, { recursive: true });
  const installed = { kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.img') };
  for (const [from, to, name] of [
    [image.kernelPath, installed.kernel, 'vmlinuz'],
    [image.initrdPath, installed.initrd, 'initrd.img'],
  ] as const) {
    const wanted = image.manifest.files[name]?.sha256;
    const present = await stat(to).then(
      () => sha256(to),
      () => undefined,
    );
    if (present === undefined || present !== wanted) await atomicCopy(from, to);
  }
  return installed;
}

/**
 * Copies the image into a directory-backed pool as `volumeName` (atomically, so a concurrent
 * pool refresh never sees a partial file) and refreshes the pool. Returns a function that
 * deletes the volume again.
 */
export async function addImageToPool(
  uri: string,
  pool: { name: string; dir: string },
  image: GuestImage,
  volumeName: string,
): Promise<() => Promise<void>> {
  const target = join(pool.dir, volumeName);
  // The temporary copy lives beside the pool directory, not in it.
  const tmp = join(dirname(pool.dir), `.${volumeName}.${process.pid}.tmp`);
  try {
    await copyFile(image.imagePath, tmp);
    await rename(tmp, target);
  } finally {
    await rm(tmp, { force: true });
  }
  await refreshPool(uri, pool.name);
  return async () => {
    await virsh(uri, 'vol-delete', '--pool', pool.name, volumeName);
  };
}

/** libvirt refuses to refresh a pool while a clone from it runs (another test file's create): wait that out. */
async function refreshPool(uri: string, pool: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await virsh(uri, 'pool-refresh', pool);
      return;
    } catch (err) {
      if (attempt >= 60 || !/asynchronous jobs running/.test(String(err))) throw err;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}
