import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseTemplate, TemplateError, type Template } from '../formats/gotemplate/index.js';
import type { Problems } from './problems.js';

/**
 * Reads and parses a Go text/template file named in the config. Relative paths resolve against
 * the config file's directory. The template is named after the file's base name, as Go's
 * template.ParseFiles (used by vmango 0.6) names it.
 */
export function loadTemplateFile(
  configuredPath: string,
  baseDir: string,
  keyPath: string,
  problems: Problems,
): { path: string; template: Template } | undefined {
  const path = resolve(baseDir, configuredPath);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    problems.add(keyPath, `cannot read template file ${path}: ${describeFsError(err)}`);
    return undefined;
  }
  try {
    return { path, template: parseTemplate(basename(path), text) };
  } catch (err) {
    if (err instanceof TemplateError) {
      const position = err.col === undefined ? `${err.line}` : `${err.line}:${err.col}`;
      const detail = err.message.replace(/^template: [^\n]*?:\d+(?::\d+)?: /, '');
      problems.add(keyPath, `${path}:${position}: invalid Go template: ${detail}`);
    } else {
      problems.add(keyPath, `${path}: invalid Go template: ${err instanceof Error ? err.message : String(err)}`);
    }
    return undefined;
  }
}

export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory, not a file';
    default:
      return e instanceof Error ? e.message : String(err);
  }
}
