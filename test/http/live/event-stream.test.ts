/** The live event stream: authenticated, fed by libvirt events, heartbeats, no listener leaks. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, LEGACY_ID, PageClient, WEB1_ID, startPagesPanel } from '../pages/pages-fixture.js';

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

interface ServerEvent {
  event: string;
  data: string;
  comment?: string;
}

/** Opens /events/ and collects what arrives; `until` resolves with the first event matching. */
async function openStream() {
  const controller = new AbortController();
  const res = await fetch(`${panel.base}/events/`, { headers: { Cookie: client.cookieHeader() }, signal: controller.signal });
  const received: ServerEvent[] = [];
  const waiters: { match: (e: ServerEvent) => boolean; resolve: (e: ServerEvent) => void }[] = [];
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: ServerEvent = { event: 'message', data: '' };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) event.comment = line.slice(1).trim();
            else if (line.startsWith('event: ')) event.event = line.slice(7);
            else if (line.startsWith('data: ')) event.data += line.slice(6);
          }
          received.push(event);
          for (const waiter of [...waiters]) {
            if (waiter.match(event)) {
              waiters.splice(waiters.indexOf(waiter), 1);
              waiter.resolve(event);
            }
          }
        }
      }
    } catch {
      // aborted
    }
  })();
  const until = (match: (e: ServerEvent) => boolean, timeoutMs = 5_000) =>
    new Promise<ServerEvent>((resolve, reject) => {
      const already = received.find(match);
      if (already) return resolve(already);
      const timer = setTimeout(
        () => reject(new Error(`no matching event in ${timeoutMs} ms; got ${JSON.stringify(received)}`)),
        timeoutMs,
      );
      waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  const close = async () => {
    controller.abort();
    await reading;
  };
  return { res, received, until, close };
}

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

  it('removes its manager listeners when the last page disconnects', async () => {
    // Streams of earlier tests end on the server a moment after the client aborts them (longer on a
    // busy machine): wait until the listener count has held for half a second.
    for (let stable = 0, last = -1, waited = 0; stable < 5 && waited < 5_000; waited += 100) {
      const now = panel.hypervisors.listenerCount('domainEvent');
      stable = now === last ? stable + 1 : 0;
      last = now;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const before = { domain: panel.hypervisors.listenerCount('domainEvent'), status: panel.hypervisors.listenerCount('status') };
    const streams = [await openStream(), await openStream(), await openStream()];
    await Promise.all(streams.map((s) => s.until((e) => e.event === 'provider')));
    expect(panel.hypervisors.listenerCount('domainEvent')).toBe(before.domain + 1);
    expect(panel.hypervisors.listenerCount('status')).toBe(before.status + 1);
    await Promise.all(streams.map((s) => s.close()));
    const deadline = Date.now() + 2_000;
    while (panel.hypervisors.listenerCount('domainEvent') !== before.domain && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(panel.hypervisors.listenerCount('domainEvent')).toBe(before.domain);
    expect(panel.hypervisors.listenerCount('status')).toBe(before.status);
  });
});
