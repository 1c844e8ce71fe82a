/**
 * Webhook deliveries from a real panel (libvirt's test driver) to receivers in the test (node http
 * on 127.0.0.1): signed as documented (checked here with node's crypto, not the panel's code), a
 * receiver that is down gets the event once it is back, a slow receiver does not slow the request
 * that caused the event, a full queue drops and counts, a reload applies changed blocks.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../server/core/audit.js';
import type { AuditLog } from '../../../server/services/audit/audit-log.js';
import { parseConfig, type Config } from '../../../server/config/index.js';
import { startTestPanel } from '../../helpers/panel.js';
import { apiTestConfig, authHeaders, LEGACY_ID, REPO, WEB1_ID } from '../../http/api/panel-fixture.js';

const SECRET = 'webhook-test-secret-0123456789abcdef';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A receiver on 127.0.0.1 that records each POST and answers after `delayMs` (or never: Infinity). */
async function receiver(options: { port?: number; delayMs?: number } = {}) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      if (options.delayMs === Infinity) return;
      setTimeout(() => res.writeHead(204).end(), options.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  return {
    received,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const probe = await receiver();
  await probe.close();
  return probe.port;
}

function configWith(hooks: Record<string, { port: number; events: string[] }>): Config {
  const base = apiTestConfig();
  const blocks = Object.entries(hooks)
    .map(
      ([name, hook]) =>
        `webhook "${name}" {\n  url = "http://127.0.0.1:${hook.port}/hook"\n  events = ${JSON.stringify(hook.events)}\n  secret = "${SECRET}"\n}\n`,
    )
    .join('');
  // The fixture's text plus the blocks: parse again (the fixture gives a parsed config).
  return parseConfig(`${fixtureText(base)}\n${blocks}`, { filename: 'webhooks-test.conf', baseDir: REPO });
}

/** The fixture's config as text again: users and the DEMO hypervisor are all these tests need. */
function fixtureText(base: Config): string {
  const users = base.users.map((u) => `user "${u.name}" {\n  password = "${u.passwordHash}"\n}\n`).join('');
  return `session_secret = "webhook-test-secret-0123456789abcdef"
hypervisor "DEMO" {
  url = "test://${REPO}/demo/hypervisor.xml"
  image_storage_pool = "vmango-images"
  root_storage_pool = "default"
  network = "vmango"
  vm_template = "${REPO}/demo/vm.xml.in"
  volume_template = "${REPO}/templates/volume.xml.in"
}
${users}`;
}

const until = async (what: string, check: () => boolean, timeoutMs = 10_000) => {
  for (const deadline = Date.now() + timeoutMs; !check();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
};

/** What a receiver does with a delivery: recompute the HMAC over "<t>.<body>" and compare. */
function signatureValid(headers: IncomingHttpHeaders, body: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(headers['x-vmango-signature']));
  if (!match) return false;
  const expected = createHmac('sha256', SECRET).update(`${match[1]}.${body}`).digest('hex');
  return expected === match[2] && Math.abs(Date.now() / 1000 - Number(match[1])) < 300;
}

describe('webhook deliveries', () => {
  let panel: Awaited<ReturnType<typeof startTestPanel>>;
  // What the panel's audit log has of the webhooks, oldest first.
  const audit = (): AuditEntry[] => webhookEntries(panel);
  let good: Awaited<ReturnType<typeof receiver>>;
  let slow: Awaited<ReturnType<typeof receiver>>;
  let downPort: number;
  let config: Config;
  const power = (id: string, action: string) =>
    fetch(`${panel.base}/api/machines/DEMO/${id}/${action}/`, { method: 'POST', headers: authHeaders() });

  beforeAll(async () => {
    good = await receiver();
    slow = await receiver({ delayMs: 5_000 });
    downPort = await freePort();
    config = configWith({
      good: { port: good.port, events: ['machine.state'] },
      down: { port: downPort, events: ['machine.state'] },
      slow: { port: slow.port, events: ['machine.state', 'machine.changed'] },
    });
    panel = await startTestPanel(config, {
      pages: false,
      connections: { backoffInitialMs: 60_000, backoffMaxMs: 60_000 },
      events: { webhooks: { attemptTimeoutMs: 6_000, backoffInitialMs: 100, backoffMaxMs: 400, maxAttempts: 100 } },
    });
  });
  afterAll(async () => {
    await panel?.close();
    await Promise.all([good?.close(), slow?.close()]);
  });

  it('POSTs the event signed as documented, only the events the webhook names, and audits the outcome', async () => {
    expect((await power(WEB1_ID, 'stop')).status).toBe(200);
    await until('the delivery', () => good.received.length >= 1);
    const [delivery] = good.received;
    expect(delivery!.headers['content-type']).toBe('application/json');
    expect(delivery!.headers['x-vmango-event']).toBe('machine.state');
    expect(delivery!.headers['x-vmango-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    expect(delivery!.headers['x-vmango-attempt']).toBe('1');
    expect(signatureValid(delivery!.headers, delivery!.body)).toBe(true);
    // A body changed in transit, or another secret, does not verify.
    expect(signatureValid(delivery!.headers, delivery!.body.replace('stopped', 'running'))).toBe(false);
    const body = JSON.parse(delivery!.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      event: 'machine.state',
      provider: 'DEMO',
      previous_state: 'running',
      machine: { Id: WEB1_ID, State: 'stopped' },
    });
    expect(body.id).toBe(delivery!.headers['x-vmango-event-id']);
    expect(panel.events.events().find((e) => e.id === body.id)?.name).toBe('machine.state');
    await until('the audit entry', () => audit().some((e) => e.action === 'webhook.delivery' && e.detail?.webhook === 'good'));
    expect(audit().find((e) => e.action === 'webhook.delivery' && e.detail?.webhook === 'good')).toMatchObject({
      outcome: 'ok',
      provider: 'DEMO',
      machine: WEB1_ID,
      detail: { webhook: 'good', event: 'machine.state', attempt: 1, status: 204, eventId: body.id },
    });
    // A tags change is machine.changed: not for "good".
    await fetch(`${panel.base}/api/machines/DEMO/${LEGACY_ID}/`, {
      method: 'PATCH',
      headers: { ...authHeaders(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ AddTags: ['hooked'] }),
    });
    await until('the change in the journal', () => panel.events.events().some((e) => e.name === 'machine.changed'));
    await sleep(300);
    expect(good.received.map((r) => r.headers['x-vmango-event'])).toEqual(['machine.state']);
    expect((await power(WEB1_ID, 'start')).status).toBe(200);
    await until('the second delivery', () => good.received.length === 2);
  });

  it('delivers to a receiver that was down once it is back, with the same delivery id, retried with backoff', async () => {
    await until(
      'failed attempts',
      () => audit().filter((e) => e.detail?.webhook === 'down' && e.outcome === 'failed').length >= 3,
    );
    const failed = audit().filter((e) => e.detail?.webhook === 'down' && e.outcome === 'failed');
    expect(failed[0]).toMatchObject({
      action: 'webhook.delivery',
      detail: { status: 0, attempt: 1 },
      error: expect.stringMatching(/could not deliver/),
    });
    const back = await receiver({ port: downPort });
    try {
      await until('the delivery after it is back', () => back.received.length >= 1, 5_000);
      const first = back.received[0]!;
      expect(signatureValid(first.headers, first.body)).toBe(true);
      expect(Number(first.headers['x-vmango-attempt'])).toBeGreaterThan(3);
      // The same event the good receiver had first, under the delivery id of all its attempts.
      expect(JSON.parse(first.body).id).toBe(JSON.parse(good.received[0]!.body).id);
      const ok = audit().find((e) => e.detail?.webhook === 'down' && e.outcome === 'ok');
      await until('its audit entry', () => audit().some((e) => e.detail?.webhook === 'down' && e.outcome === 'ok'));
      expect(ok ?? audit().find((e) => e.detail?.webhook === 'down' && e.outcome === 'ok')).toMatchObject({
        detail: { delivery: first.headers['x-vmango-delivery'], status: 204 },
      });
      expect(failed.every((e) => e.detail?.delivery === first.headers['x-vmango-delivery'])).toBe(true);
      await until('the rest, in order', () => back.received.length >= 2);
      expect(back.received.map((r) => JSON.parse(r.body).id)).toEqual(good.received.map((r) => JSON.parse(r.body).id));
    } finally {
      await back.close();
    }
  }, 30_000);

  it('does not slow the request that caused the event while the receiver takes 5 s to answer', async () => {
    // The slow receiver is still on its first delivery (5 s each): what the requests cost now is
    // what they cost without webhooks.
    const timings: number[] = [];
    for (const action of ['stop', 'start', 'stop', 'start']) {
      const started = performance.now();
      expect((await power(WEB1_ID, action)).status).toBe(200);
      timings.push(performance.now() - started);
      await sleep(250);
    }
    expect(slow.received.length).toBeGreaterThanOrEqual(1);
    console.log(`power actions with a 5 s webhook receiver: ${timings.map((t) => t.toFixed(1)).join(', ')} ms`);
    expect(Math.max(...timings)).toBeLessThan(1_000);
    expect(panel.webhooks.stats().slow!.queued).toBeGreaterThanOrEqual(2);
    // And the receiver gets them, one after the other.
    await until('the slow deliveries', () => audit().some((e) => e.detail?.webhook === 'slow' && e.outcome === 'ok'), 12_000);
  }, 30_000);

  it('applies changed webhook blocks on reload: a removed one stops, a changed one hears its new events', async () => {
    const before = good.received.length;
    panel.reload(configWith({ good: { port: good.port, events: ['machine.changed'] } }));
    expect(Object.keys(panel.webhooks.stats())).toEqual(['good']);
    await power(LEGACY_ID, 'pause');
    await sleep(400); // a separate event, not one reading with the tags change
    await fetch(`${panel.base}/api/machines/DEMO/${LEGACY_ID}/`, {
      method: 'PATCH',
      headers: { ...authHeaders(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ RemoveTags: ['hooked'] }),
    });
    await until('the changed event', () => good.received.length > before);
    await sleep(300);
    expect(good.received.slice(before).map((r) => r.headers['x-vmango-event'])).toEqual(['machine.changed']);
    await power(LEGACY_ID, 'resume');
  }, 20_000);
});

describe('a webhook whose queue is full', () => {
  it('drops new deliveries, logs and counts them, and audits webhook.drop', async () => {
    const hanging = await receiver({ delayMs: Infinity });
    const panel = await startTestPanel(configWith({ stuck: { port: hanging.port, events: ['machine.state'] } }), {
      pages: false,
      connections: { backoffInitialMs: 60_000, backoffMaxMs: 60_000 },
      events: { webhooks: { queueSize: 2, attemptTimeoutMs: 60_000 } },
    });
    const audit = (): AuditEntry[] => webhookEntries(panel);
    try {
      const power = (action: string) =>
        fetch(`${panel.base}/api/machines/DEMO/${WEB1_ID}/${action}/`, { method: 'POST', headers: authHeaders() });
      for (const action of ['stop', 'start', 'stop', 'start', 'stop']) {
        expect((await power(action)).status).toBe(200);
        await sleep(300);
      }
      await until('five state events', () => panel.events.events().filter((e) => e.name === 'machine.state').length === 5);
      // One in flight (never answered), one waiting: the other three are dropped.
      expect(panel.webhooks.stats().stuck).toMatchObject({ queued: 2, dropped: 3, delivered: 0 });
      const drops = audit().filter((e) => e.action === 'webhook.drop');
      expect(drops).toHaveLength(3);
      expect(drops[0]).toMatchObject({
        outcome: 'failed',
        error: 'the queue is full (2 deliveries wait)',
        detail: { webhook: 'stuck', event: 'machine.state' },
      });
      expect(panel.lines.filter((l) => l.msg === 'webhook delivery dropped')).toHaveLength(3);
      expect(hanging.received).toHaveLength(1);
    } finally {
      await panel.close();
      await hanging.close();
    }
  }, 30_000);
});

describe('an attempt that gets no answer', () => {
  it('ends at its deadline even when the garbage collector runs meanwhile, and is tried again', async () => {
    // Node's AbortSignal.timeout() holds its signal weakly, and AbortSignal.any() its sources: a
    // collection during the attempt used to leave it waiting forever (the clean-clone run of 7530e2c).
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const hanging = await receiver({ delayMs: Infinity });
    const panel = await startTestPanel(configWith({ held: { port: hanging.port, events: ['machine.state'] } }), {
      pages: false,
      connections: { backoffInitialMs: 60_000, backoffMaxMs: 60_000 },
      events: { webhooks: { attemptTimeoutMs: 500, backoffInitialMs: 50, backoffMaxMs: 100 } },
    });
    try {
      const res = await fetch(`${panel.base}/api/machines/DEMO/${WEB1_ID}/stop/`, { method: 'POST', headers: authHeaders() });
      expect(res.status).toBe(200);
      await until('the first attempt', () => hanging.received.length === 1);
      for (let i = 0; i < 5; i++) {
        gc();
        await sleep(20);
      }
      await until("the second attempt, after the first one's deadline", () => hanging.received.length >= 2, 5_000);
      expect(hanging.received[1]!.headers['x-vmango-attempt']).toBe('2');
      const failed = webhookEntries(panel).filter((e) => e.action === 'webhook.delivery' && e.outcome === 'failed');
      expect(failed[0]).toMatchObject({ error: 'no answer within 500 ms', detail: { webhook: 'held', attempt: 1 } });
      await fetch(`${panel.base}/api/machines/DEMO/${WEB1_ID}/start/`, { method: 'POST', headers: authHeaders() });
    } finally {
      await panel.close();
      await hanging.close();
    }
  }, 30_000);
});

/** The webhook entries of the panel's audit log, oldest first. */
function webhookEntries(panel: { audit: { query: AuditLog['query'] } }): AuditEntry[] {
  return ['webhook.delivery', 'webhook.drop']
    .flatMap((action) => panel.audit.query({ action: action as AuditEntry['action'], limit: 500 }).entries)
    .sort((a, b) => a.time.localeCompare(b.time));
}
