/**
 * Webhooks beside real creates on the harness hypervisor: a receiver that holds every delivery
 * unanswered does not hold up creates and deletes (they answer while its delivery is still open),
 * nor the other webhook, whose receiver checks each delivery's signature with node's own crypto
 * and gets machine.created and machine.deleted of both machines, in order; the audit log has each
 * attempt (the held one failed at its deadline), retrievable with GET /api/audit/.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
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
import { apiCall, harnessApiConfig, startHarnessApi, type HarnessPanel } from '../../http/api/harness-panel.js';

const { env, skipReason } = requireHarness();
if (skipReason) console.warn(`skipping the webhook tests on the harness: ${skipReason}`);

const PREFIX = `whk${randomBytes(3).toString('hex')}`;
const NET = `${PREFIX}-net`;
const SUBNET = 204 * 256 + (process.pid % 200);
const SECRET = randomBytes(32).toString('hex');

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on loopback; `hold` keeps every request open until released (or the panel gives up). */
async function receiver(hold: boolean) {
  const received: Delivery[] = [];
  const held: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (hold) held.push(res);
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    received,
    held,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

function signedRight(delivery: Delivery): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(delivery.headers['x-vmango-signature']));
  if (!match) return false;
  const expected = createHmac('sha256', SECRET).update(`${match[1]}.${delivery.body}`).digest('hex');
  return expected === match[2] && Math.abs(Date.now() / 1000 - Number(match[1])) < 300;
}

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.skipIf(skipReason !== undefined)('webhooks beside creates on the harness hypervisor', () => {
  const harness = env!;
  let panel: HarnessPanel;
  let conn: Connection;
  let good: Awaited<ReturnType<typeof receiver>>;
  let stuck: Awaited<ReturnType<typeof receiver>>;

  beforeAll(async () => {
    const t = harnessTemplates(harness);
    await defineNetwork(harness, t.dir, NET, `${PREFIX}b`, SUBNET, [10, 60]);
    conn = await rawConnection(harness);
    good = await receiver(false);
    stuck = await receiver(true);
    const hook = (name: string, port: number) =>
      `webhook "${name}" {\n  url = "http://127.0.0.1:${port}/hook"\n  events = ["machine.created", "machine.deleted"]\n  secret = "${SECRET}"\n}\n`;
    panel = await startHarnessApi(
      harnessApiConfig(
        harness,
        [{ name: 'H', url: harness.uri, network: NET, vmTemplate: t.vm, volumeTemplate: t.volume }],
        hook('good', good.port) + hook('stuck', stuck.port),
      ),
    );
  }, 120_000);

  afterAll(async () => {
    await panel?.close();
    await Promise.all([good?.close(), stuck?.close()]);
    if (conn) {
      await cleanupPrefix(conn, harness, PREFIX);
      await conn.close();
    }
    await removeNetwork(harness, NET);
  }, 180_000);

  const create = (name: string) =>
    apiCall(panel.base, '/api/machines/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ Name: name, Plan: 'tiny', Image: 'Cirros-0.6_amd64_qcow2.img', Provider: 'H' }),
    });
  const eventsOf = (deliveries: Delivery[]) =>
    deliveries.map((d) => {
      const body = JSON.parse(d.body) as { event: string; machine?: { Name: string } };
      return `${body.event} ${body.machine?.Name ?? ''}`;
    });

  it('creates and deletes answer while a receiver holds its delivery open; the other receiver gets every event, signed', async () => {
    const [first, second] = [`${PREFIX}-a`, `${PREFIX}-b`];
    const made = await create(first);
    expect(made.status, JSON.stringify(made.json)).toBe(201);
    // The stuck receiver has the first machine's event and has not answered it.
    await until('the held delivery', () => stuck.received.length === 1 && stuck.held.length === 1);
    const again = await create(second);
    expect(again.status, JSON.stringify(again.json)).toBe(201);
    expect(stuck.held.every((res) => !res.writableEnded)).toBe(true);
    const ids = [made, again].map(
      (reply) => /\/api\/machines\/H\/([0-9a-f]{32})\//.exec(String(reply.headers.get('location')))![1]!,
    );
    for (const id of ids) expect((await apiCall(panel.base, `/api/machines/H/${id}/`, { method: 'DELETE' })).status).toBe(204);

    await until('four deliveries to the good receiver', () => good.received.length >= 4);
    expect(eventsOf(good.received)).toEqual([
      `machine.created ${first}`,
      `machine.created ${second}`,
      `machine.deleted ${first}`,
      `machine.deleted ${second}`,
    ]);
    expect(good.received.every(signedRight)).toBe(true);
    expect(new Set(good.received.map((d) => d.headers['x-vmango-delivery'])).size).toBe(4);
    // The stuck webhook delivers in order: still on its first event.
    expect(new Set(eventsOf(stuck.received))).toEqual(new Set([`machine.created ${first}`]));
    for (const name of [first, second]) expect(await leftovers(conn, harness, NET, name)).toEqual([]);
  }, 180_000);

  it('audits every attempt: the good ones ok with their status, the held one failed at its deadline', async () => {
    await until('the held attempt to fail', () => stuck.received.length >= 2, 30_000);
    const page = await apiCall(panel.base, '/api/audit/?action=webhook.delivery&limit=500');
    expect(page.status).toBe(200);
    const entries = (page.json.Entries as { Outcome: string; Detail: Record<string, unknown> }[]).filter(
      (e) => typeof e.Detail?.webhook === 'string',
    );
    const of = (hook: string) => entries.filter((e) => e.Detail.webhook === hook);
    expect(of('good').filter((e) => e.Outcome === 'ok')).toHaveLength(4);
    expect(of('good').every((e) => e.Detail.status === 204)).toBe(true);
    expect(of('stuck').some((e) => e.Outcome === 'failed')).toBe(true);
    for (const res of stuck.held) res.writeHead(204).end();
  }, 60_000);
});
