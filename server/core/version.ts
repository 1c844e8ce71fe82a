import { readFileSync } from 'node:fs';

function readVersion(): string {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'vmango' && pkg.version) return pkg.version;
    } catch {
      // not there from this build layout: try the next
    }
  }
  return 'unknown';
}

export const VERSION = readVersion();
