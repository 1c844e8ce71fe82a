/**
 * vmango's image naming rule: `{OS}_{arch}_{format}[.img]`, e.g. `Centos-7_amd64_qcow2.img`.
 * Accepts exactly `^([^_]*)_(amd64|x86_64|i386|x86)_(raw|qcow2)(\.img)?$`, gives 0.6's reasons for
 * skipping a volume, and never panics (0.6 crashed on names with exactly one `_`).
 */
import type { HwArch, ImageFormat } from '../../core/machine.js';

export interface ImageNameParts {
  /** Everything before the first `_`, e.g. `Centos-7`. */
  os: string;
  osName: string;
  osVersion: string;
  arch: HwArch;
  format: ImageFormat;
}

export type ImageNameResult = { ok: true; image: ImageNameParts } | { ok: false; reason: string };

const ARCHES: Record<string, HwArch> = { amd64: 'x86_64', x86_64: 'x86_64', i386: 'x86', x86: 'x86' };

/** 0.6's OSName()/OSVersion(): the first and second `-`-separated parts ('' when missing). */
export function splitOs(os: string): { osName: string; osVersion: string } {
  const parts = os.split('-');
  return { osName: parts[0] ?? '', osVersion: parts[1] ?? '' };
}

/**
 * Reads an image volume's name. Never throws; a name vmango cannot use gives 0.6's reason
 * (`invalid name: …`, `unknown image arch: …`, `unknown image format: …`) for the log line.
 */
export function parseImageName(volumeName: string): ImageNameResult {
  const first = volumeName.indexOf('_');
  // `x86_64` holds the separator itself; 0.6's SplitN cut it in two and so never accepted it.
  const archStart = first + 1;
  const x86_64 = first >= 0 && volumeName.startsWith('x86_64_', archStart);
  const second = first < 0 ? -1 : volumeName.indexOf('_', x86_64 ? archStart + 'x86_64'.length : archStart);
  if (second < 0) return { ok: false, reason: `invalid name: ${volumeName}` };
  const os = volumeName.slice(0, first);
  const archPart = volumeName.slice(archStart, second);
  const formatPart = volumeName.slice(second + 1);
  const arch = Object.hasOwn(ARCHES, archPart) ? ARCHES[archPart] : undefined;
  if (arch === undefined) return { ok: false, reason: `unknown image arch: ${archPart}` };
  const format = formatPart.endsWith('.img') ? formatPart.slice(0, -'.img'.length) : formatPart;
  if (format !== 'raw' && format !== 'qcow2') return { ok: false, reason: `unknown image format: ${format}` };
  return { ok: true, image: { os, ...splitOs(os), arch, format } };
}
