/**
 * Attacks (issue 12) on the live event stream: 40 parallel GET /events/ from one session were all
 * accepted, and events were buffered without bound for clients that stopped reading.
 */
import express from 'express';
import { NO_PROPERTIES } from '../../../server/core/machine-properties.js';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MachineService, PanelEventListener } from '../../../server/core/services.js';
import { EventStreams } from '../../../server/http/live/event-stream.js';
import { dashboardFormat } from '../../../server/http/live/dashboard-events.js';
import { EventJournal } from '../../../server/services/events/event-journal.js';
import { silentLogger } from '../../helpers/loggers.js';
import { listen, type RunningServer } from '../../../server/http/server.js';
import { ADMIN, PageClient, WEB1_ID, startPagesPanel } from '../../http/pages/pages-fixture.js';

describe('streams per session and in total', () => {
  let panel: Awaited<ReturnType<typeof startPagesPanel>>;
  beforeAll(async () => {
    panel = await startPagesPanel();
  });
  afterAll(async () => {
    await panel?.close();
  });

  it('refuses a session past 8 open streams with 429, and takes new ones once some close', async () => {
    const client = new PageClient(panel.base);
    await client.login(ADMIN.user, ADMIN.password);
    const controllers = Array.from({ length: 40 }, () => new AbortController());
    const answers = await Promise.all(
      controllers.map((c) =>
        fetch(`${panel.base}/events/`, { headers: { Cookie: client.cookieHeader() }, signal: c.signal }).then((r) => r.status),
      ),
    );
    expect(answers.filter((s) => s === 200)).toHaveLength(8);
    expect(answers.filter((s) => s === 429)).toHaveLength(32);
    // Another session is not affected.
    const other = new PageClient(panel.base);
    await other.login(ADMIN.user, ADMIN.password);
    const otherController = new AbortController();
    expect(
      (await fetch(`${panel.base}/events/`, { headers: { Cookie: other.cookieHeader() }, signal: otherController.signal }))
        .status,
    ).toBe(200);
    for (const c of [...controllers, otherController]) c.abort();
    await new Promise((r) => setTimeout(r, 200));
    const again = new AbortController();
    expect(
      (await fetch(`${panel.base}/events/`, { headers: { Cookie: client.cookieHeader() }, signal: again.signal })).status,
    ).toBe(200);
    again.abort();
  });
});

describe('a client that stops reading', () => {
  let server: RunningServer;
  const listeners = new Set<PanelEventListener>();
  let journal: EventJournal;
  beforeAll(async () => {
    const service = {
      providerStates: () => [],
      listMachines: async () => ({ machines: new Map(), providers: [] }),
      subscribe: (listener: PanelEventListener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    } as unknown as MachineService;
    journal = new EventJournal(service, silentLogger());
    const app = express();
    app.get(
      '/events/',
      new EventStreams({ maxBufferedBytes: 64 * 1024 }).handler({
        feedOf: () => journal,
        ownerOf: () => 'one-session',
        format: dashboardFormat(() => service),
      }),
    );
    server = await listen(app, { host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await server?.close(100);
  });

  it('is dropped once its backlog passes the bound, instead of the panel keeping its events', async () => {
    const socket = connect(server.address.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(`GET /events/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 100));
    socket.pause(); // never reads again
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const machine = {
      id: WEB1_ID,
      name: 'x'.repeat(4_000),
      provider: 'DEMO',
      state: 'running',
      libvirtState: 'running',
      sshKeys: [],
      properties: NO_PROPERTIES,
    };
    let sent = 0;
    // 50 MB of events if nothing stopped them (each one a change: a new name).
    for (let i = 0; i < 10_000 && journal.followerCount > 0; i++) {
      for (const listener of listeners)
        listener({ type: 'machine', machine: { ...machine, name: `${machine.name}${i}` } as never });
      sent++;
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(journal.followerCount).toBe(0);
    expect(sent).toBeLessThan(10_000);
    socket.resume();
    socket.destroy();
    await closed;
  });
});
