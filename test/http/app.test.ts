import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import { Router } from 'express';
import { capturedLogger } from '../helpers/loggers.js';
import { createApp } from '../../server/http/app.js';
import { listen, type RunningServer } from '../../server/http/server.js';

const running: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close(100)));
});

async function start(options: Partial<Parameters<typeof createApp>[0]> & { tls?: { keyPath: string; certPath: string } } = {}) {
  const { logger, lines } = capturedLogger();
  const app = createApp({ logger, trustedProxies: [], staticCacheSeconds: 0, ...options });
  const server = await listen(app, { host: '127.0.0.1', port: 0, tls: options.tls });
  running.push(server);
  return { server, lines, base: `http://127.0.0.1:${server.address.port}` };
}

describe('server skeleton', () => {
  it('answers /healthz with the status, uncached, and the details health lets the caller see', async () => {
    const { base } = await start({
      health: async (req) => ({
        ok: req.query.down === undefined,
        details: req.query.more !== undefined ? { providers: 0 } : undefined,
      }),
    });
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${base}/healthz?more`)).json()).toEqual({
      status: 'ok',
      version: expect.any(String),
      providers: 0,
    });
    const down = await fetch(`${base}/healthz?down`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: 'not ok' });
  });

  it('sends security headers and no X-Powered-By', async () => {
    const { base } = await start();
    const res = await fetch(`${base}/healthz`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('serves /static/ with the static_cache lifetime', async () => {
    const { base } = await start({ staticCacheSeconds: 86_400 });
    const res = await fetch(`${base}/static/favicon.svg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/image\/svg\+xml/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=86400');
    expect(Date.parse(res.headers.get('expires')!)).toBeGreaterThan(Date.now() + 86_000_000);
  });

  it('asks browsers to revalidate static files when static_cache is 0', async () => {
    const { base } = await start({ staticCacheSeconds: 0 });
    const res = await fetch(`${base}/static/favicon.svg`);
    expect(res.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers unknown API paths with vmango JSON errors and other paths with a plain 404', async () => {
    const { base } = await start();
    const api = await fetch(`${base}/api/nothing/`);
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({ Error: 'Not found' });
    const page = await fetch(`${base}/static/missing.css`);
    expect(page.status).toBe(404);
  });

  it('logs one JSON line per request with method, path, status, latency and remote address', async () => {
    const { base, lines } = await start();
    await fetch(`${base}/healthz?x=1`);
    await new Promise((r) => setTimeout(r, 50));
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: 'GET', path: '/healthz', status: 200, remote: '127.0.0.1' });
    expect(requests[0]!.latencyMs).toEqual(expect.any(Number));
  });

  it('believes X-Real-IP / X-Forwarded-For only from trusted proxies', async () => {
    const untrusted = await start();
    await fetch(`${untrusted.base}/healthz`, { headers: { 'X-Real-IP': '203.0.113.9' } });
    const trusted = await start({ trustedProxies: ['127.0.0.0/8'] });
    await fetch(`${trusted.base}/healthz`, { headers: { 'X-Forwarded-For': ' 198.51.100.7 , 10.0.0.1' } });
    await fetch(`${trusted.base}/healthz`, { headers: { 'X-Real-IP': '203.0.113.9', 'X-Forwarded-For': '198.51.100.7' } });
    await fetch(`${trusted.base}/healthz`, { headers: { 'X-Real-IP': '203.0.113.9' } });
    await new Promise((r) => setTimeout(r, 50));
    expect(untrusted.lines.find((l) => l.msg === 'request')!.remote).toBe('127.0.0.1');
    expect(trusted.lines.filter((l) => l.msg === 'request').map((l) => l.remote)).toEqual([
      '10.0.0.1', // the rightmost entry that is not a trusted proxy
      '198.51.100.7', // X-Forwarded-For before X-Real-IP
      '203.0.113.9',
    ]);
  });

  it('lets a request in flight finish on close, and refuses new ones', async () => {
    const slow = Router();
    slow.get('/slow', (_req, res) => {
      setTimeout(() => res.send('done'), 300);
    });
    const { server, base } = await start({ routers: [slow] });
    const inFlight = fetch(`${base}/slow`).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 50));
    const closing = server.close(5_000);
    expect(await inFlight).toBe('done');
    await closing;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  it('serves HTTPS when ssl_key and ssl_cert are given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmango-tls-'));
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        certPath,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
      ],
      { stdio: 'ignore' },
    );
    const { server } = await start({ tls: { keyPath, certPath } });
    const body = await new Promise<string>((resolve, reject) => {
      httpsRequest({ host: '127.0.0.1', port: server.address.port, path: '/healthz', rejectUnauthorized: false }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve(text));
      })
        .on('error', reject)
        .end();
    });
    expect(JSON.parse(body)).toMatchObject({ status: 'ok' });
  });

  it('ends server-sent event streams on close instead of waiting for them', async () => {
    const events = Router();
    events.get('/events/', (_req, res) => {
      res.status(200).set('Content-Type', 'text/event-stream');
      res.flushHeaders();
      res.write('data: hello\n\n');
    });
    const { server, base } = await start({ routers: [events] });
    const res = await fetch(`${base}/events/`);
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: hello\n\n');
    // With a one-minute grace, only ending the stream lets close() finish within the test's time.
    await server.close(60_000);
    expect((await reader.read()).done).toBe(true);
  });
});
