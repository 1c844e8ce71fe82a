/** The live event stream: authenticated, fed by libvirt events, heartbeats, no listener leaks. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, LEGACY_ID, PageClient, WEB1_ID, startPagesPanel } from '../pages/pages-fixture.js';
import { openEventStream } from './sse-client.js';

let panel: Awaited<ReturnType<typeof startPagesPanel>>;
let client: PageClient;
beforeAll(async () => {
  panel = await startPagesPanel({ withUnavailable: true, pages: { stream: { heartbeatMs: 200 } } });
  client = new PageClient(panel.base);
  await client.login(ADMIN.user, ADMIN.password);
});
afterAll(async () => {
  await panel?.close();
});

/** Opens /events/ as the logged-in client and collects what arrives. */
const openStream = () => openEventStream(panel.base, client.cookieHeader());

describe('/events/', () => {
  it('refuses a logged-out client with 401', async () => {
    const res = await fetch(`${panel.base}/events/`, { redirect: 'manual' });
    expect(res.status).toBe(401);
  });

  it('starts with every provider state and sends heartbeats', async () => {
    const stream = await openStream();
    try {
      expect(stream.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const gone = await stream.until((e) => e.event === 'provider' && JSON.parse(e.data).name === 'GONE');
      expect(JSON.parse(gone.data)).toMatchObject({ state: 'unavailable', since: expect.any(String) });
      await stream.until((e) => e.event === 'provider' && JSON.parse(e.data).name === 'DEMO');
      await stream.until((e) => e.comment === 'heartbeat');
    } finally {
      await stream.close();
    }
  });

  it('delivers a state change made through a page action, with the actions now allowed', async () => {
    const stream = await openStream();
    try {
      await stream.until((e) => e.event === 'provider');
      const detail = await (await client.get(`/machines/DEMO/${LEGACY_ID}/pause/`)).text();
      const csrf = /name="csrf" value="([^"]+)"/.exec(detail)![1]!;
      expect((await client.post(`/machines/DEMO/${LEGACY_ID}/pause/`, { csrf })).status).toBe(303);
      const update = await stream.until(
        (e) => e.event === 'machine' && JSON.parse(e.data).id === LEGACY_ID && JSON.parse(e.data).state === 'paused',
      );
      expect(JSON.parse(update.data)).toMatchObject({
        provider: 'DEMO',
        name: 'legacy-appliance',
        actions: expect.arrayContaining(['resume', 'stop']),
      });
      expect(JSON.parse(update.data).actions).not.toContain('pause');
      await panel.service.changeState('DEMO', LEGACY_ID, 'resume');
      await stream.until(
        (e) => e.event === 'machine' && JSON.parse(e.data).id === LEGACY_ID && JSON.parse(e.data).state === 'running',
      );
    } finally {
      await stream.close();
    }
  });

  it('delivers a stop made directly through the service', async () => {
    const stream = await openStream();
    try {
      await stream.until((e) => e.event === 'provider');
      await panel.service.changeState('DEMO', WEB1_ID, 'stop');
      const update = await stream.until((e) => e.event === 'machine' && JSON.parse(e.data).id === WEB1_ID);
      expect(JSON.parse(update.data)).toMatchObject({ state: 'stopped', actions: ['start'] });
      await panel.service.changeState('DEMO', WEB1_ID, 'start');
    } finally {
      await stream.close();
    }
  });

  it('streams add no manager listeners (the journal holds one for the life of the panel) and leave no followers', async () => {
    const before = {
      domain: panel.hypervisors.listenerCount('domainEvent'),
      status: panel.hypervisors.listenerCount('status'),
    };
    expect(before.domain).toBeGreaterThanOrEqual(1);
    // Streams of earlier tests end on the server a moment after the client aborts them.
    for (let waited = 0; panel.streams.openCount > 0 && waited < 5_000; waited += 20)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const followers = panel.events.followerCount;
    const streams = [await openStream(), await openStream(), await openStream()];
    await Promise.all(streams.map((s) => s.until((e) => e.event === 'provider')));
    expect(panel.hypervisors.listenerCount('domainEvent')).toBe(before.domain);
    expect(panel.hypervisors.listenerCount('status')).toBe(before.status);
    expect(panel.events.followerCount).toBe(followers + 3);
    await Promise.all(streams.map((s) => s.close()));
    const deadline = Date.now() + 2_000;
    while (panel.events.followerCount !== followers && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(panel.events.followerCount).toBe(followers);
    expect(panel.streams.openCount).toBe(0);
  });
});
