/**
 * The browser libraries the consoles use, served by the panel from their npm packages (no CDN, no
 * bundler: xterm.js and noVNC ship ES modules). Each is mounted under a path naming its version,
 * so browsers may keep the files for a year; only the directories a page loads are served.
 */
import express, { Router } from 'express';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const NODE_MODULES = new URL('../../node_modules/', import.meta.url);

export type VendorPackage = 'xterm' | 'xterm-addon-fit' | 'novnc' | 'swagger-ui';

/** A package's directories served whole, or single files of it. */
interface Served {
  name: string;
  dirs?: readonly string[];
  files?: readonly string[];
}

const PACKAGES: Readonly<Record<VendorPackage, Served>> = {
  xterm: { name: '@xterm/xterm', dirs: ['lib', 'css'] },
  'xterm-addon-fit': { name: '@xterm/addon-fit', dirs: ['lib'] },
  novnc: { name: '@novnc/novnc', dirs: ['core', 'vendor'] },
  // The API reference page (/api-docs/); the package keeps its files at its root.
  'swagger-ui': { name: 'swagger-ui-dist', files: ['swagger-ui-bundle.js', 'swagger-ui.css'] },
};

const versions = new Map<VendorPackage, string>();

function packageDir(pkg: VendorPackage): URL {
  return new URL(`${PACKAGES[pkg].name}/`, NODE_MODULES);
}

function versionOf(pkg: VendorPackage): string {
  let version = versions.get(pkg);
  if (version === undefined) {
    const manifest = JSON.parse(readFileSync(new URL('package.json', packageDir(pkg)), 'utf8')) as { version: string };
    version = manifest.version;
    versions.set(pkg, version);
  }
  return version;
}

/** The URL of `file` (e.g. "lib/xterm.mjs") of a vendored package. */
export function vendorUrl(pkg: VendorPackage, file: string): string {
  return `/static/vendor/${pkg}@${versionOf(pkg)}/${file}`;
}

/** Mount at /static/vendor. */
export function vendorAssets(): Router {
  const router = Router();
  for (const pkg of Object.keys(PACKAGES) as VendorPackage[]) {
    for (const file of PACKAGES[pkg].files ?? []) {
      const path = fileURLToPath(new URL(file, packageDir(pkg)));
      router.get(`/${pkg}@${versionOf(pkg)}/${file}`, (_req, res, next) =>
        res.sendFile(path, { immutable: true, maxAge: 365 * 86_400_000 }, (err) => (err ? next(err) : undefined)),
      );
    }
    for (const dir of PACKAGES[pkg].dirs ?? []) {
      router.use(
        `/${pkg}@${versionOf(pkg)}/${dir}`,
        express.static(fileURLToPath(new URL(`${dir}/`, packageDir(pkg))), {
          index: false,
          immutable: true,
          maxAge: 365 * 86_400_000,
        }),
      );
    }
  }
  return router;
}
