import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { Router } from 'express';
import { readBody, MAX_BODY_BYTES } from '../../server/http/body.js';
import { startApp, rawRequest } from './api/helpers.js';

/** An /api/ route that echoes what readBody made of the request. */
async function echoServer(limitBytes?: number) {
  const router = Router();
  router.post('/api/echo/', readBody({ limitBytes }), (req, res) => {
    res.json(req.body);
  });
  return startApp([router]);
}

describe('readBody', () => {
  it('reads a form with repeated fields in order, + as space and percent escapes', async () => {
    const base = await echoServer();
    const res = await fetch(`${base}/api/echo/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'Name=a+b&SSHKey=k1&SSHKey=k%20%E2%9C%93&Userdata=%5D%5D%3E',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      kind: 'form',
      fields: [
        ['Name', 'a b'],
        ['SSHKey', 'k1'],
        ['SSHKey', 'k ✓'],
        ['Userdata', ']]>'],
      ],
    });
  });

  it('reads JSON, also with a charset parameter and +json types', async () => {
    const base = await echoServer();
    for (const type of ['application/json', 'application/json; charset=UTF-8', 'application/vnd.vmango+json']) {
      const res = await fetch(`${base}/api/echo/`, {
        method: 'POST',
        headers: { 'Content-Type': type },
        body: '{"Name":"x","SSHKey":["a"]}',
      });
      expect(await res.json()).toEqual({ kind: 'json', value: { Name: 'x', SSHKey: ['a'] } });
    }
  });

  it('takes an empty body without Content-Type as an empty form', async () => {
    const base = await echoServer();
    const res = await fetch(`${base}/api/echo/`, { method: 'POST' });
    expect(await res.json()).toEqual({ kind: 'form', fields: [] });
  });

  it('inflates gzip bodies', async () => {
    const base = await echoServer();
    const res = await rawRequest(`${base}/api/echo/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: gzipSync('{"Name":"zipped"}'),
    });
    expect(JSON.parse(res.body)).toEqual({ kind: 'json', value: { Name: 'zipped' } });
  });

  it('answers 413 naming the limit for a body over it, also after inflating', async () => {
    const base = await echoServer();
    const big = 'Userdata=' + 'x'.repeat(MAX_BODY_BYTES);
    const res = await fetch(`${base}/api/echo/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: big,
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ Error: 'the request body is larger than 256 KiB, the most the API accepts' });
    const bomb = await rawRequest(`${base}/api/echo/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: gzipSync(Buffer.alloc(10 * MAX_BODY_BYTES, 0x20)),
    });
    expect(bomb.status).toBe(413);
  });

  it('answers 400 for JSON that does not parse and for bytes that are not UTF-8', async () => {
    const base = await echoServer();
    const bad = await fetch(`${base}/api/echo/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"Name":',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { Error: string }).Error).toMatch(/^the request body is not valid JSON: /);
    const latin1 = await rawRequest(`${base}/api/echo/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d]),
    });
    expect(latin1.status).toBe(400);
    expect(JSON.parse(latin1.body)).toEqual({ Error: 'the request body (a JSON document) is not valid UTF-8' });
  });

  it('answers 415 naming the allowed types for other content types, charsets and encodings', async () => {
    const base = await echoServer();
    const text = await fetch(`${base}/api/echo/`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'Name=x' });
    expect(text.status).toBe(415);
    expect(await text.json()).toEqual({
      Error: 'Content-Type "text/plain" is not supported; send application/x-www-form-urlencoded or application/json',
    });
    const charset = await fetch(`${base}/api/echo/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=iso-8859-1' },
      body: 'Name=x',
    });
    expect(charset.status).toBe(415);
    expect(((await charset.json()) as { Error: string }).Error).toBe(
      'charset "iso-8859-1" is not supported; send the body as UTF-8',
    );
    const encoding = await rawRequest(`${base}/api/echo/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'compress' },
      body: '{}',
    });
    expect(encoding.status).toBe(415);
    expect(JSON.parse(encoding.body).Error).toMatch(/Content-Encoding is not supported/);
  });

  it('applies a smaller limit when given one', async () => {
    const base = await echoServer(10);
    const res = await fetch(`${base}/api/echo/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"Name":"0123456789"}',
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { Error: string }).Error).toBe(
      'the request body is larger than 10 bytes, the most the API accepts',
    );
  });
});
