/**
 * The event journal through its streams: GET /api/events/ (API credentials) and /events/ (the
 * dashboard) resume after a Last-Event-ID with exactly the events missed, in order; an id the
 * window no longer covers, or of another run, gets a reset; a user scoped to one hypervisor never
 * hears of the other's machines, replays included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEventId } from '../../../server/core/events.js';
import { startTestPanel } from '../../helpers/panel.js';
import { accessTestConfig, as, PASSWORD, USERS } from '../access/access-fixture.js';
import { PageClient, WEB1_ID, DB1_ID, LEGACY_ID } from '../pages/pages-fixture.js';
import { openEventStream, openSse, type ServerEvent } from './sse-client.js';

const WINDOW = 8;
let panel: Awaited<ReturnType<typeof startTestPanel>>;
beforeAll(async () => {
  panel = await startTestPanel(accessTestConfig(), {
    pages: { stream: { heartbeatMs: 200 } },
    events: { replayWindow: WINDOW },
  });
});
afterAll(async () => {
  await panel?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seqNow = () => parseEventId(panel.events.lastId)!.seq;
const apiStream = (user: string, headers: Record<string, string> = {}, query = '') =>
  openSse(`${panel.base}/api/events/${query}`, { ...as(user), ...headers });
const post = (path: string, user: string = USERS.full, init: RequestInit = {}) =>
  fetch(`${panel.base}${path}`, { method: 'POST', ...init, headers: { ...as(user), ...(init.headers as object) } });

/** Runs a change and waits until the journal has its event, and a moment more for stragglers. */
async function journaled(change: () => Promise<unknown>): Promise<string> {
  const before = seqNow();
  await change();
  for (const deadline = Date.now() + 5_000; seqNow() === before && Date.now() < deadline;) await sleep(20);
  await sleep(300);
  expect(seqNow()).toBe(before + 1);
  return panel.events.lastId;
}

const domainXml = (name: string) =>
  `<domain type='test'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><devices/></domain>`;

/** Five changes: two on DEMO, three on EAST (a machine defined, retagged, removed). */
async function fiveChanges(): Promise<string[]> {
  const ids: string[] = [];
  ids.push(await journaled(() => post(`/api/machines/DEMO/${WEB1_ID}/stop/`)));
  ids.push(await journaled(() => post(`/api/machines/DEMO/${WEB1_ID}/start/`)));
  const name = `evt-${Date.now()}`;
  let domain: { undefine(): Promise<unknown> } | undefined;
  ids.push(
    await journaled(async () => {
      domain = await panel.hypervisors.get('EAST').defineDomain(domainXml(name));
    }),
  );
  ids.push(
    await journaled(() =>
      fetch(`${panel.base}/api/machines/EAST/${DB1_ID}/`, {
        method: 'PATCH',
        headers: { ...as(USERS.full), 'Content-Type': 'application/json' },
        body: JSON.stringify({ AddTags: [`t${Date.now() % 100000}`] }),
      }),
    ),
  );
  ids.push(await journaled(() => domain!.undefine()));
  return ids;
}

/** The events of a stream that carry an id and are dispatched (not the bare position marker). */
const eventsOf = (received: ServerEvent[]) => received.filter((e) => e.id !== undefined && e.event !== 'message');

async function settle(stream: { received: ServerEvent[] }, count: number): Promise<ServerEvent[]> {
  for (const deadline = Date.now() + 5_000; eventsOf(stream.received).length < count && Date.now() < deadline;) await sleep(20);
  await sleep(300); // nothing more may come
  return eventsOf(stream.received);
}

describe('resuming after a disconnect', () => {
  it('replays exactly the 5 events missed, in order, on the API and the dashboard stream; a scoped user only its own', async () => {
    const page = new PageClient(panel.base);
    await page.login(USERS.full, PASSWORD);
    const api = await apiStream(USERS.full);
    const dash = await openEventStream(panel.base, page.cookieHeader());
    // A fresh stream is told where it stands, before any event.
    const apiAt = (await api.until((e) => e.id !== undefined)).id!;
    const dashAt = (await dash.until((e) => e.id !== undefined)).id!;
    expect(apiAt).toBe(panel.events.lastId);
    expect(dashAt).toBe(apiAt);
    // Eve (operator on EAST only) stays connected meanwhile: live events are filtered too.
    const eveLive = await apiStream(USERS.east);
    await eveLive.until((e) => e.id !== undefined);
    await Promise.all([api.close(), dash.close()]);

    const ids = await fiveChanges();

    const apiAgain = await apiStream(USERS.full, { 'Last-Event-ID': apiAt });
    const apiEvents = await settle(apiAgain, 5);
    expect(apiEvents.map((e) => e.id)).toEqual(ids);
    expect(apiEvents.map((e) => e.event)).toEqual([
      'machine.state',
      'machine.state',
      'machine.created',
      'machine.changed',
      'machine.deleted',
    ]);
    const bodies = apiEvents.map((e) => JSON.parse(e.data) as Record<string, unknown>);
    expect(bodies[0]).toMatchObject({
      id: ids[0],
      event: 'machine.state',
      provider: 'DEMO',
      previous_state: 'running',
      machine: { Id: WEB1_ID, State: 'stopped' },
    });
    expect(bodies.map((b) => b.provider)).toEqual(['DEMO', 'DEMO', 'EAST', 'EAST', 'EAST']);
    expect(apiAgain.received.some((e) => e.event === 'reset')).toBe(false);
    await apiAgain.close();

    const dashAgain = await openEventStream(panel.base, page.cookieHeader(), { 'Last-Event-ID': dashAt });
    const dashEvents = await settle(dashAgain, 5);
    expect(dashEvents.map((e) => e.id)).toEqual(ids);
    expect(dashEvents.map((e) => e.event)).toEqual(['machine', 'machine', 'machine', 'machine', 'machine-removed']);
    expect(JSON.parse(dashEvents[0]!.data)).toMatchObject({
      provider: 'DEMO',
      id: WEB1_ID,
      state: 'stopped',
      actions: ['start'],
    });
    await dashAgain.close();

    // Eve: live and replayed, only EAST's three.
    const eveLiveEvents = await settle(eveLive, 3);
    expect(eveLiveEvents.map((e) => e.id)).toEqual(ids.slice(2));
    await eveLive.close();
    const eveAgain = await apiStream(USERS.east, { 'Last-Event-ID': apiAt });
    const eveEvents = await settle(eveAgain, 3);
    expect(eveEvents.map((e) => e.id)).toEqual(ids.slice(2));
    expect(eveEvents.every((e) => JSON.parse(e.data).provider === 'EAST')).toBe(true);
    expect(eveAgain.received.some((e) => e.data.includes('"DEMO"'))).toBe(false);
    await eveAgain.close();
  }, 60_000);
});

describe('ids the journal cannot resume from', () => {
  it('answers an id of another run of the panel with a reset, then follows live', async () => {
    const { run } = parseEventId(panel.events.lastId)!;
    const other = run === 'abcdef01' ? 'abcdef02' : 'abcdef01';
    const stream = await apiStream(USERS.full, { 'Last-Event-ID': `${other}-3` });
    const reset = await stream.until((e) => e.event === 'reset');
    expect(reset.id).toBe(panel.events.lastId);
    expect(JSON.parse(reset.data)).toMatchObject({ reason: expect.stringMatching(/another run/), last_event_id: reset.id });
    const id = await journaled(() => post(`/api/machines/DEMO/${LEGACY_ID}/pause/`));
    expect((await stream.until((e) => e.id === id)).event).toBe('machine.state');
    await journaled(() => post(`/api/machines/DEMO/${LEGACY_ID}/resume/`));
    await stream.close();
  }, 30_000);

  it('answers an id older than the replay window with a reset (given as ?last_event_id=)', async () => {
    const { run } = parseEventId(panel.events.lastId)!;
    while (panel.events.events()[0]!.seq <= 2) {
      await journaled(() => post(`/api/machines/DEMO/${LEGACY_ID}/pause/`));
      await journaled(() => post(`/api/machines/DEMO/${LEGACY_ID}/resume/`));
    }
    expect(panel.events.events()).toHaveLength(WINDOW);
    const stream = await apiStream(USERS.full, {}, `?last_event_id=${run}-1`);
    const reset = await stream.until((e) => e.event === 'reset');
    expect(JSON.parse(reset.data).reason).toMatch(/no longer kept \(the last 8 are\)/);
    // The oldest id still in the window resumes without one.
    const oldest = panel.events.events()[0]!;
    const from = `${run}-${oldest.seq - 1}`;
    const again = await apiStream(USERS.full, {}, `?last_event_id=${from}`);
    const replay = await settle(again, WINDOW);
    expect(replay.map((e) => e.id)).toEqual(panel.events.events().map((e) => e.id));
    expect(again.received.some((e) => e.event === 'reset')).toBe(false);
    await Promise.all([stream.close(), again.close()]);
  }, 60_000);

  it('refuses an id that is not one with 400 naming the field', async () => {
    const header = await fetch(`${panel.base}/api/events/`, { headers: { ...as(USERS.full), 'Last-Event-ID': 'nope' } });
    expect(header.status).toBe(400);
    expect(((await header.json()) as { Error: string }).Error).toMatch(/^Last-Event-ID "nope" is not an event id/);
    const query = await fetch(`${panel.base}/api/events/?last_event_id=12`, { headers: as(USERS.full) });
    expect(query.status).toBe(400);
    expect(((await query.json()) as { Error: string }).Error).toMatch(/^last_event_id "12" is not an event id/);
  });
});

describe('GET /api/events/', () => {
  it('wants API credentials', async () => {
    expect((await fetch(`${panel.base}/api/events/`)).status).toBe(401);
    expect((await fetch(`${panel.base}/api/events/`, { headers: { ...as(USERS.full), 'X-Vmango-Pass': 'wrong' } })).status).toBe(
      401,
    );
    expect((await post('/api/events/')).status).toBe(501);
  });

  it('sends heartbeats, and refuses a user past 8 open streams with 429 (another user is not affected)', async () => {
    const streams = await Promise.all(Array.from({ length: 8 }, () => apiStream(USERS.viewer)));
    expect(streams.map((s) => s.res.status)).toEqual(Array(8).fill(200));
    await streams[0]!.until((e) => e.comment === 'heartbeat');
    const ninth = await fetch(`${panel.base}/api/events/`, { headers: as(USERS.viewer) });
    expect(ninth.status).toBe(429);
    expect(ninth.headers.get('retry-after')).toBe('10');
    const other = await apiStream(USERS.operator);
    expect(other.res.status).toBe(200);
    await Promise.all([...streams, other].map((s) => s.close()));
  });

  it('keeps open streams across a config reload and goes on delivering', async () => {
    const stream = await apiStream(USERS.full);
    await stream.until((e) => e.id !== undefined);
    panel.reload(accessTestConfig());
    const id = await journaled(() => post(`/api/machines/DEMO/${LEGACY_ID}/pause/`));
    await stream.until((e) => e.id === id);
    await journaled(() => post(`/api/machines/DEMO/${LEGACY_ID}/resume/`));
    await stream.close();
  }, 30_000);
});
