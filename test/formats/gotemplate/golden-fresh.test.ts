import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS_DIR, GOLDEN_DIR, corpusFiles } from './corpus-data.js';

const TOOL_DIR = join(import.meta.dirname, '..', '..', '..', 'tools', 'gotemplate-golden');
const goAvailable = spawnSync('go', ['version']).status === 0;

describe('committed goldens are what Go itself produces', () => {
  it.skipIf(!goAvailable)(
    'regenerating with `go run` gives identical files',
    () => {
      const out = mkdtempSync(join(tmpdir(), 'gotemplate-golden-'));
      const cache = join(tmpdir(), 'gotemplate-golden-gocache');
      try {
        execFileSync('go', ['run', '.', CORPUS_DIR, out], {
          cwd: TOOL_DIR,
          env: {
            ...process.env,
            GOFLAGS: '-mod=mod',
            GOPROXY: 'off',
            GOPATH: join(cache, 'gopath'),
            GOCACHE: join(cache, 'build'),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
          timeout: 240_000,
        });
        for (const f of corpusFiles()) {
          expect(readFileSync(join(out, f), 'utf8'), f).toBe(readFileSync(join(GOLDEN_DIR, f), 'utf8'));
        }
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
    300_000,
  );
  it.skipIf(goAvailable)('skipped: `go` is not on PATH, so the goldens cannot be regenerated here', () => {
    expect(goAvailable).toBe(false);
  });
});
