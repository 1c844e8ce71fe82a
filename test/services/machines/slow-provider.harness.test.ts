// A hypervisor that stops answering (port 2202 frozen) must not hold up the lists of the others.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harnessCommand, requireHarness } from '../../helpers/harness.js';
import { harnessTemplates } from './harness-fixture.js';
import { serviceConfig, startService, type ServiceSetup } from './setup.js';

const { env, skipReason } = requireHarness();

describe.skipIf(skipReason !== undefined)('a frozen provider', () => {
  const harness = env!;
  let setup: ServiceSetup;

  beforeAll(async () => {
    const t = harnessTemplates(harness);
    const block = (name: string, url: string) => ({
      name,
      url,
      imagePool: harness.imagePool,
      rootPool: harness.rootPool,
      network: harness.network,
      vmTemplate: t.vm,
      volumeTemplate: t.volume,
      callTimeout: '2s',
    });
    setup = await startService(serviceConfig([block('LIVE', harness.uri), block('FROZEN', harness.uri2)]), {
      resyncIntervalMs: 300,
    });
  }, 60_000);

  afterAll(async () => {
    await harnessCommand('unfreeze', '2');
    await setup?.close();
  }, 60_000);

  it('is flagged with its last known list within its deadline while the other is served', async () => {
    const before = await setup.service.listMachines();
    expect(before.providers.map((p) => p.state)).toEqual(['connected', 'connected']);
    const known = before.machines.get('FROZEN')!.machines.map((m) => m.id);
    const frozen = await harnessCommand('freeze', '2');
    expect(frozen.code).toBe(0);
    // Let a periodic resync start against the frozen port, so the next read has to wait for it.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const started = Date.now();
    const during = await setup.service.listMachines();
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(3_500);
    expect(during.providers.find((p) => p.name === 'LIVE')!.state).toBe('connected');
    const flagged = during.providers.find((p) => p.name === 'FROZEN')!;
    expect(flagged.state).not.toBe('connected');
    expect(flagged.error).toBeTruthy();
    expect(during.machines.get('FROZEN')!.machines.map((m) => m.id)).toEqual(known);
    expect(during.machines.get('LIVE')).toBeDefined();

    const summaries = await setup.service.providers();
    expect(summaries.find((p) => p.name === 'FROZEN')!.state).not.toBe('connected');
    expect(summaries.find((p) => p.name === 'LIVE')!.hostname).toBeTruthy();
  }, 60_000);
});
