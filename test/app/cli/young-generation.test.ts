import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { keepYoungGenerationSmall } from '../../../server/app/cli/young-generation.js';

const MODULE = fileURLToPath(new URL('../../../server/app/cli/young-generation.ts', import.meta.url));

describe('keepYoungGenerationSmall', () => {
  it('leaves a young generation sized by node flags or NODE_OPTIONS alone', () => {
    expect(keepYoungGenerationSmall(['--max-semi-space-size=8'], undefined)).toBe(false);
    expect(keepYoungGenerationSmall([], '--min-semi-space-size=2')).toBe(false);
    expect(keepYoungGenerationSmall(['--semi-space-growth-factor=3'], '')).toBe(false);
  });

  it('stops the young generation growing past its starting size under allocation that survives', () => {
    // In a child process: the V8 flag is process-wide.
    const script = `
      import { getHeapSpaceStatistics } from 'node:v8';
      const { keepYoungGenerationSmall } = await import(${JSON.stringify(MODULE)});
      const grow = () => { const keep = []; for (let i = 0; i < 2e6; i++) { keep.push({ i }); if (keep.length > 2e5) keep.length = 0; } };
      const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
      if (process.argv.includes('small')) console.log(keepYoungGenerationSmall([], ''));
      grow();
      console.log(newSpace());
    `;
    const run = (mode: string): string[] => {
      const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, mode], {
        encoding: 'utf8',
      });
      expect(out.status, out.stderr).toBe(0);
      return out.stdout.trim().split('\n');
    };
    const [applied, small] = run('small');
    const [grown] = run('default');
    expect(applied).toBe('true');
    expect(Number(small)).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(Number(grown)).toBeGreaterThan(Number(small) * 4);
  });
});
