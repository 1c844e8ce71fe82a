/**
 * Consoles under load on the real hypervisor: 20 consoles flooded both ways (echo guests) for
 * STRESS_SECONDS (60 by default) while bulk listings run on the same connection, in a child
 * process so that memory corruption (libvirt before 10.3 corrupts memory when two threads call
 * over one connection at once) shows as a crash. Bytes must come back intact.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { requireHarness } from '../helpers/harness.js';

const { skipReason } = requireHarness();
const CHILD = fileURLToPath(new URL('./children/console-stress.ts', import.meta.url));
const SECONDS = Number(process.env.STRESS_SECONDS ?? 60);

describe.skipIf(skipReason !== undefined)('20 consoles flooded both ways while bulk listings run', () => {
  it(
    'do not crash the process, and every byte comes back as sent',
    async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
        env: { ...process.env, STRESS_SECONDS: String(SECONDS) },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
        child.on('exit', (c, s) => resolve([c, s])),
      );
      expect(signal, err.slice(-2000)).toBeNull();
      expect(code, err.slice(-2000)).toBe(0);
      const result = JSON.parse(out.trim().split('\n').pop()!) as {
        intact: boolean;
        bytesEachWay: number;
        listings: number;
        broken: number;
      };
      console.log(`console stress: ${out.trim()}`);
      expect(result.intact).toBe(true);
      // Guests emulate a 16550 UART byte by byte under TCG: tens of KiB/s each.
      expect(result.bytesEachWay).toBeGreaterThan(256 * 1024);
      expect(result.listings).toBeGreaterThan(10);
    },
    SECONDS * 1000 + 180_000,
  );
});
