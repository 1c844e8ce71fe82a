/**
 * Quotas on the real harness hypervisor: 20 concurrent creates by one user with room for 3 make
 * exactly 3 machines (201) and refuse 17 (403 naming the quota) before any work, leaving nothing
 * of them behind; the owner is recorded in the panel's own metadata element; GET /api/quota/
 * follows the creates and the deletes.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../../server/libvirt/index.js';
import { requireHarness } from '../../helpers/harness.js';
import {
  cleanupPrefix,
  defineNetwork,
  harnessTemplates,
  leftovers,
  rawConnection,
  removeNetwork,
} from '../../services/machines/harness-fixture.js';
import { apiCall, harnessApiConfig, hashOf, startHarnessApi, type HarnessPanel } from '../../http/api/harness-panel.js';

const { env, skipReason } = requireHarness();
if (skipReason) console.warn(`skipping the quota tests on the harness: ${skipReason}`);

const PREFIX = `qta${randomBytes(3).toString('hex')}`;
const NET = `${PREFIX}-net`;
const SUBNET = 203 * 256 + (process.pid % 200);
const QUINN = { user: 'quinn', password: 'quota-test-secret' };

describe.skipIf(skipReason !== undefined)('quotas on the harness hypervisor', () => {
  const harness = env!;
  let panel: HarnessPanel;
  let conn: Connection;

  beforeAll(async () => {
    const t = harnessTemplates(harness);
    await defineNetwork(harness, t.dir, NET, `${PREFIX}b`, SUBNET, [10, 60]);
    conn = await rawConnection(harness);
    const quinn = `user "${QUINN.user}" {\n  password = "${hashOf(QUINN.password)}"\n  quota {\n    machines = 3\n  }\n}\n`;
    panel = await startHarnessApi(
      harnessApiConfig(
        harness,
        [{ name: 'H', url: harness.uri, network: NET, vmTemplate: t.vm, volumeTemplate: t.volume }],
        quinn,
      ),
    );
  }, 120_000);

  afterAll(async () => {
    await panel?.close();
    if (conn) {
      await cleanupPrefix(conn, harness, PREFIX);
      await conn.close();
    }
    await removeNetwork(harness, NET);
  }, 180_000);

  const api = (path: string, init: Parameters<typeof apiCall>[2] = {}) => apiCall(panel.base, path, { who: QUINN, ...init });

  it('20 concurrent creates with room for 3: 3 × 201, 17 × 403 naming the quota, nothing left of the 17', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `${PREFIX}-${i}`);
    const replies = await Promise.all(
      names.map((name) =>
        api('/api/machines/', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ Name: name, Plan: 'tiny', Image: 'Cirros-0.6_amd64_qcow2.img', Provider: 'H' }),
        }),
      ),
    );
    const made = names.filter((_, i) => replies[i]!.status === 201);
    const refused = names.filter((_, i) => replies[i]!.status === 403);
    expect(
      replies.map((r) => r.status),
      JSON.stringify(replies.filter((r) => r.status !== 201 && r.status !== 403).map((r) => r.json)),
    ).toSatisfy((statuses: number[]) => statuses.every((s) => s === 201 || s === 403));
    expect(made).toHaveLength(3);
    expect(refused).toHaveLength(17);
    for (const reply of replies.filter((r) => r.status === 403)) {
      expect(reply.json.Quota).toEqual(['machines']);
      expect(reply.json.Error).toContain("user quinn's quota does not allow this: it would use machines 4 of 3");
    }
    for (const name of refused) expect(await leftovers(conn, harness, NET, name)).toEqual([]);

    // The owner is in the panel's own element; 0.6's creator beside it.
    const xml = await (await conn.lookupDomainByName(made[0]!)).getXmlDesc();
    expect(xml).toMatch(/<vmangots:owner>quinn<\/vmangots:owner>/);
    expect(xml).toMatch(/<vmango:creator>quinn<\/vmango:creator>/);

    const quota = await api('/api/quota/');
    expect(quota.status).toBe(200);
    expect(quota.json.Quota.Machines).toEqual({ Use: 3, Limit: 3, ConfigKey: 'machines' });
    expect(quota.json.Quota.Cpus).toEqual({ Use: 3, Limit: null, ConfigKey: 'cpus' });

    // A fourth is refused until one goes.
    const fourth = await api('/api/machines/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ Name: `${PREFIX}-x`, Plan: 'tiny', Image: 'Cirros-0.6_amd64_qcow2.img', Provider: 'H' }),
    });
    expect(fourth.status).toBe(403);
    const id = (replies[names.indexOf(made[0]!)]!.headers.get('Location') ?? '').split('/')[4]!;
    expect((await api(`/api/machines/H/${id}/`, { method: 'DELETE' })).status).toBe(204);
    expect((await api('/api/quota/')).json.Quota.Machines.Use).toBe(2);
  }, 600_000);
});
