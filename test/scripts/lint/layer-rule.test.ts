/**
 * The layer rule of scripts/lint.sh (.dependency-cruiser.cjs) fails on what it forbids: a file
 * importing from a layer above its own, HTTP reaching past the services, and files importing each
 * other in a circle; and it passes the real tree.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const CONFIG = join(REPO, '.dependency-cruiser.cjs');
const DEPCRUISE = join(REPO, 'node_modules/.bin/depcruise');

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A scratch tree with the project's tsconfig and these files; the layer rule's verdict on its server/. */
async function cruise(files: Record<string, string>): Promise<{ code: number; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'vmango-layers-'));
  dirs.push(dir);
  copyFileSync(join(REPO, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  try {
    const { stdout, stderr } = await run(DEPCRUISE, ['--config', CONFIG, '--output-type', 'err', 'server'], { cwd: dir });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('the layer rule', () => {
  it('passes a tree whose imports all go down', async () => {
    const result = await cruise({
      'server/core/model.ts': 'export const a = 1;\n',
      'server/services/list.ts': "import { a } from '../core/model.js';\nexport const b = a;\n",
      'server/http/route.ts': "import { b } from '../services/list.js';\nexport const c = b;\n",
    });
    expect(result.output).toContain('no dependency violations found');
    expect(result.code).toBe(0);
  });

  it('fails on a planted upward import, naming the file and the rule', async () => {
    const result = await cruise({
      'server/core/model.ts': "import { route } from '../http/route.js';\nexport const a = route;\n",
      'server/http/route.ts': 'export const route = 1;\n',
    });
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/layer-core-imports-upward: server\/core\/model\.ts → server\/http\/route\.ts/);
  });

  it('fails when HTTP reaches past the services to the hypervisors or the binding', async () => {
    const result = await cruise({
      'server/hypervisors/manager.ts': 'export const manager = 1;\n',
      'server/libvirt/connection.ts': 'export const conn = 1;\n',
      'server/http/route.ts':
        "import { manager } from '../hypervisors/manager.js';\nimport { conn } from '../libvirt/connection.js';\nexport const r = manager + conn;\n",
    });
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/http-talks-only-to-services: server\/http\/route\.ts → server\/hypervisors\/manager\.ts/);
    expect(result.output).toMatch(/http-talks-only-to-services: server\/http\/route\.ts → server\/libvirt\/connection\.ts/);
  });

  it('fails on files that import each other in a circle, even for types only', async () => {
    const result = await cruise({
      'server/libvirt/a.ts': "import type { B } from './b.js';\nexport interface A { b?: B }\n",
      'server/libvirt/b.ts': "import type { A } from './a.js';\nexport interface B { a?: A }\n",
    });
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/no-circular: server\/libvirt\/(a|b)\.ts/);
  });

  it('fails on a file outside the layer folders', async () => {
    const result = await cruise({
      'server/stray.ts': "import { a } from './core/model.js';\nexport const s = a;\n",
      'server/core/model.ts': 'export const a = 1;\n',
    });
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/server-outside-layers: server\/stray\.ts/);
  });

  it('finds nothing in the real tree', async () => {
    const { stdout } = await run(DEPCRUISE, ['--config', CONFIG, '--output-type', 'err', 'server'], { cwd: REPO });
    expect(stdout).toContain('no dependency violations found');
  });
});
