/**
 * Attack (issue 12): behind a trusted proxy, the leftmost X-Forwarded-For entry was believed as
 * the client's address, unvalidated. A client sends its own X-Forwarded-For; the proxy appends
 * the address it saw. Believing the leftmost entry lets any client pick its address (and so dodge
 * per-address login limits, or frame someone else in the log).
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddressResolver } from '../../../server/http/client-address.js';

function request(peer: string, headers: Record<string, string>): IncomingMessage {
  return { socket: { remoteAddress: peer }, headers } as unknown as IncomingMessage;
}

describe('the client address behind proxies', () => {
  const resolve = clientAddressResolver(['127.0.0.1', '10.0.0.0/8']);

  it('reads X-Forwarded-For from the right, skipping trusted proxies', () => {
    // client 203.0.113.7 claims to be 1.2.3.4; the edge proxy 10.0.0.5 appended what it saw.
    expect(resolve(request('127.0.0.1', { 'x-forwarded-for': '1.2.3.4, 203.0.113.7, 10.0.0.5' }))).toBe('203.0.113.7');
    expect(resolve(request('127.0.0.1', { 'x-forwarded-for': '198.51.100.2' }))).toBe('198.51.100.2');
  });

  it('never believes a value that is not an IP address', () => {
    expect(resolve(request('127.0.0.1', { 'x-forwarded-for': 'evil, 203.0.113.7' }))).toBe('203.0.113.7');
    expect(resolve(request('127.0.0.1', { 'x-forwarded-for': '203.0.113.7, <script>' }))).toBe('127.0.0.1');
    expect(resolve(request('127.0.0.1', { 'x-real-ip': 'not-an-ip' }))).toBe('127.0.0.1');
    expect(resolve(request('127.0.0.1', { 'x-real-ip': ' 2001:db8::1 ' }))).toBe('2001:db8::1');
  });

  it('ignores the headers from peers that are not trusted proxies', () => {
    expect(resolve(request('192.0.2.9', { 'x-forwarded-for': '1.2.3.4', 'x-real-ip': '1.2.3.4' }))).toBe('192.0.2.9');
    expect(resolve(request('::ffff:192.0.2.9', {}))).toBe('192.0.2.9');
  });

  it('all-trusted chains give the leftmost hop', () => {
    expect(resolve(request('127.0.0.1', { 'x-forwarded-for': '10.1.1.1, 10.2.2.2' }))).toBe('10.1.1.1');
  });
});
