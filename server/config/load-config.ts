import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from './config-error.js';
import { MAX_CONFIG_BYTES, parseConfig } from './parse-config.js';
import { describeFsError } from './template-file.js';
import type { Config } from './types.js';

/** Reads, parses and validates the config file; relative paths inside resolve against its directory. */
export function loadConfig(path: string): Config {
  const absolute = resolve(String(path));
  let bytes: Buffer;
  try {
    bytes = readFileSync(absolute);
  } catch (err) {
    throw new ConfigError([{ path: absolute, message: `cannot read ${absolute}: ${describeFsError(err)}` }]);
  }
  if (bytes.length > MAX_CONFIG_BYTES) {
    throw new ConfigError([
      {
        path: absolute,
        message: `file too large (${bytes.length} bytes, limit ${MAX_CONFIG_BYTES}); a vmango config is a few kilobytes of HCL`,
      },
    ]);
  }
  return parseConfig(bytes.toString('utf8'), { filename: absolute, baseDir: dirname(absolute) });
}
