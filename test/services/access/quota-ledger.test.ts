/**
 * The quota ledger: concurrent creates by one user never pass the quota together, a failed create
 * gives its room back at once, and a finished one keeps counting until the list shows it.
 */
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../../server/core/machine.js';
import type { ServiceError } from '../../../server/core/service-error.js';
import { machineKey, QuotaLedger, useOf } from '../../../server/services/access/quota-ledger.js';

const GIB = 1024 ** 3;
const size = { cpus: 2, memoryBytes: 1024 * 1024 ** 2, diskBytes: 10 * GIB };

function machine(name: string, owner: string): Machine {
  return {
    name,
    provider: 'h1',
    creator: owner,
    cpus: 2,
    memoryBytes: size.memoryBytes,
    plan: 'p',
    properties: { tags: [], description: '' },
  } as unknown as Machine;
}

function ledgerOver(listed: Machine[]) {
  return new QuotaLedger(
    async () => {
      await new Promise((r) => setTimeout(r, 1)); // the list is read asynchronously, as the cache is
      return [...listed];
    },
    () => size.diskBytes,
  );
}

const slowly = <T>(value: T, ms = 20) => new Promise<T>((r) => setTimeout(() => r(value), ms));

describe('QuotaLedger', () => {
  it('20 concurrent creates with room for 3: exactly 3 run, 17 are refused naming the quota', async () => {
    const listed = [machine('old', 'dana'), machine('theirs', 'erin')];
    const ledger = ledgerOver(listed);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        ledger.within('dana', { machines: 4 }, { key: machineKey('h1', `m${i}`), use: useOf(size) }, () => slowly(i)),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const refusals = results
      .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      .map((r) => r.reason as ServiceError);
    expect(refusals).toHaveLength(17);
    for (const refusal of refusals) {
      expect(refusal.kind).toBe('forbidden');
      expect(refusal.quota).toEqual(['machines']);
      expect(refusal.message).toContain('machines 5 of 4');
    }
    // The finished three still count while the list has not caught up…
    expect((await ledger.use('dana')).machines).toBe(4);
    // …and once it has, each is counted once.
    listed.push(machine('m0', 'dana'), machine('m1', 'dana'), machine('m2', 'dana'));
    expect(await ledger.use('dana')).toEqual({ machines: 4, cpus: 8, memoryMiB: 4096, diskGiB: 40 });
  });

  it('a failed create gives its room back', async () => {
    const ledger = ledgerOver([]);
    const reservation = { key: machineKey('h1', 'x'), use: useOf(size) };
    await expect(ledger.within('dana', { machines: 1 }, reservation, () => Promise.reject(new Error('boom')))).rejects.toThrow(
      'boom',
    );
    await expect(ledger.within('dana', { machines: 1 }, reservation, () => slowly('made'))).resolves.toBe('made');
  });

  it('counts every resource, and a resize its new size in place of the old', async () => {
    const listed = [machine('web', 'dana')];
    const ledger = ledgerOver(listed);
    const limit = { cpus: 4 };
    const bigger = { key: machineKey('h1', 'web'), use: useOf({ ...size, cpus: 4 }), replaces: useOf(size) };
    await expect(ledger.within('dana', limit, bigger, () => slowly('ok'))).resolves.toBe('ok');
    const tooBig = { key: machineKey('h1', 'web'), use: useOf({ ...size, cpus: 5 }), replaces: useOf(size) };
    await expect(ledger.within('dana', limit, tooBig, () => slowly('no'))).rejects.toMatchObject({ quota: ['cpus'] });
    // Other users' machines never count.
    expect((await ledger.use('erin')).machines).toBe(0);
  });
});
