/**
 * Attacks (issue 12) on the web server itself:
 * - any Host header was served, so a page on evil.example whose name was rebound to 127.0.0.1
 *   could drive a panel listening there (DNS rebinding);
 * - /healthz listed every hypervisor (names, states) without authentication;
 * - a request body trickled one byte a second held its socket for minutes (Node's default is 300 s).
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SERVER_LIMITS } from '../../../server/http/server.js';
import { ADMIN, authHeaders, startApiPanel } from '../../http/api/panel-fixture.js';
import { rawRequest } from '../../http/api/helpers.js';

let panel: Awaited<ReturnType<typeof startApiPanel>>;
beforeAll(async () => {
  panel = await startApiPanel({ serverLimits: { requestTimeoutMs: 1_500 } });
});
afterAll(async () => {
  await panel?.close();
});

describe('Host header', () => {
  it('refuses a host the panel does not answer to with 421, before anything else', async () => {
    const port = new URL(panel.base).port;
    for (const host of ['evil.example', `evil.example:${port}`, 'localhost.evil.example', '127.0.0.2']) {
      const res = await rawRequest(`${panel.base}/api/machines/`, { headers: { Host: host, ...authHeaders(ADMIN) } });
      expect(res.status, host).toBe(421);
      expect(res.body).toContain('allowed_hosts');
    }
  });

  it('answers the listen address and localhost names', async () => {
    const port = new URL(panel.base).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'LOCALHOST.']) {
      const res = await rawRequest(`${panel.base}/api/plans/`, { headers: { Host: host, ...authHeaders(ADMIN) } });
      expect(res.status, host).toBe(200);
    }
  });
});

describe('/healthz', () => {
  it('says only ok without credentials, and the hypervisors with them', async () => {
    const anonymous = await fetch(`${panel.base}/healthz`);
    expect(await anonymous.json()).toEqual({ status: 'ok' });
    const wrong = await fetch(`${panel.base}/healthz`, { headers: authHeaders({ user: ADMIN.user, password: 'wrong' }) });
    expect(await wrong.json()).toEqual({ status: 'ok' });
    const admin = (await (await fetch(`${panel.base}/healthz`, { headers: authHeaders(ADMIN) })).json()) as Record<
      string,
      unknown
    >;
    expect(admin).toMatchObject({
      status: 'ok',
      version: expect.any(String),
      hypervisors: [expect.objectContaining({ name: 'DEMO' })],
    });
  });
});

describe('connections', () => {
  it('refuses connections beyond maxConnections at once', async () => {
    const limited = await startApiPanel({ serverLimits: { maxConnections: 5 } });
    try {
      const { port } = new URL(limited.base);
      const sockets = Array.from({ length: 12 }, () => connect(Number(port), '127.0.0.1'));
      const states = await Promise.all(
        sockets.map(
          (socket) =>
            new Promise<'open' | 'closed'>((resolve) => {
              socket.once('close', () => resolve('closed'));
              socket.once('connect', () => setTimeout(() => resolve(socket.destroyed ? 'closed' : 'open'), 300));
              socket.on('error', () => undefined);
            }),
        ),
      );
      expect(states.filter((s) => s === 'open')).toHaveLength(5);
      for (const socket of sockets) socket.destroy();
    } finally {
      await limited.close();
    }
  });
});

describe('slow clients', () => {
  it('cuts off a request whose body trickles in, at the request timeout', async () => {
    expect(DEFAULT_SERVER_LIMITS.requestTimeoutMs).toBe(30_000);
    const { port } = new URL(panel.base);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const started = Date.now();
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(
      `POST /api/machines/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Vmango-User: admin\r\nX-Vmango-Pass: secret\r\n` +
        'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n',
    );
    const trickle = setInterval(() => socket.writable && socket.write('a'), 300);
    await closed;
    clearInterval(trickle);
    const heldMs = Date.now() - started;
    expect(heldMs).toBeLessThan(4_000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });
});
