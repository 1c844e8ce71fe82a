/** Console tickets without a hypervisor: signing, expiry at 30 s, holders, single use across replicas. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsoleGrant, ConsoleHolder } from '../../../server/core/consoles.js';
import { ConsoleTickets, TICKET_LIFETIME_MS } from '../../../server/services/consoles/console-tickets.js';
import { UsedTickets } from '../../../server/services/consoles/used-tickets.js';
import { silentLogger } from '../../helpers/loggers.js';

const SECRET = 'a-session-secret-of-at-least-32-bytes!!';
const SESSION: ConsoleHolder = { kind: 'session', sessionId: 'sid-0123456789abcdef', user: 'admin' };
const GRANT: ConsoleGrant = {
  holder: SESSION,
  provider: 'ALPHA',
  id: 'a'.repeat(32),
  name: 'web-1',
  kind: 'serial',
  force: false,
};

const closers: Array<() => void> = [];
afterEach(() => closers.splice(0).forEach((close) => close()));

function signer(options: { stateDir?: string; now?: () => number; secret?: string } = {}): ConsoleTickets {
  const used = new UsedTickets({ stateDir: options.stateDir, logger: silentLogger(), now: options.now });
  closers.push(() => used.close());
  return new ConsoleTickets({ secret: options.secret ?? SECRET, used, now: options.now });
}

describe('console tickets', () => {
  it('last 30 seconds by default', () => {
    let now = 1_000_000;
    const tickets = signer({ now: () => now });
    const { ticket, expiresAt } = tickets.issue(GRANT);
    expect(expiresAt.getTime()).toBe(1_000_000 + TICKET_LIFETIME_MS);
    expect(TICKET_LIFETIME_MS).toBe(30_000);
    now += 30_000;
    expect(tickets.redeem(ticket, SESSION)).toEqual({ ok: false, reason: expect.stringContaining('expired') });
    now -= 1;
    expect(tickets.redeem(ticket, SESSION)).toMatchObject({
      ok: true,
      grant: { provider: 'ALPHA', id: GRANT.id, kind: 'serial' },
    });
  });

  it('are for one holder, and a refused presenter does not use the ticket up', () => {
    const tickets = signer();
    const { ticket } = tickets.issue(GRANT);
    expect(tickets.redeem(ticket, { ...SESSION, sessionId: 'sid-other-session-00' })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('another session'),
    });
    expect(tickets.redeem(ticket, { kind: 'api', user: 'admin' })).toMatchObject({ ok: false });
    expect(tickets.redeem(ticket, SESSION)).toMatchObject({ ok: true });
    expect(tickets.redeem(ticket, SESSION)).toMatchObject({ ok: false, reason: expect.stringContaining('used already') });
    const api = tickets.issue({ ...GRANT, holder: { kind: 'api', user: 'bob' } }).ticket;
    expect(tickets.redeem(api, { kind: 'api', user: 'alice' })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('other API credentials'),
    });
    expect(tickets.redeem(api, { kind: 'api', user: 'bob' })).toMatchObject({ ok: true });
  });

  it('are refused when forged, altered, signed with another secret, or not tickets at all', () => {
    const tickets = signer();
    const { ticket } = tickets.issue(GRANT);
    const [v, body, mac] = ticket.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    for (const change of [
      { m: 'b'.repeat(32) },
      { k: 'vnc' },
      { e: Date.now() + 3_600_000 },
      { f: 1 },
      { s: 'sid-other-session-00' },
    ]) {
      const altered = `${v}.${Buffer.from(JSON.stringify({ ...payload, ...change })).toString('base64url')}.${mac}`;
      expect(tickets.redeem(altered, SESSION)).toMatchObject({ ok: false, reason: expect.stringContaining('not signed') });
    }
    expect(signer({ secret: 'another-secret-also-at-least-32-bytes!!' }).redeem(ticket, SESSION)).toMatchObject({ ok: false });
    for (const junk of ['', 'v1', 'v1..', `v2.${body}.${mac}`, `${ticket}.x`, 'x'.repeat(5000), undefined, 42]) {
      expect(tickets.redeem(junk as string, SESSION).ok).toBe(false);
    }
  });

  it('are used once across replicas sharing a state directory, even when redeemed at the same moment', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'vmango-tickets-'));
    closers.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const replicas = [signer({ stateDir }), signer({ stateDir }), signer({ stateDir })];
    const { ticket } = replicas[0]!.issue(GRANT);
    const results = replicas.map((replica) => replica.redeem(ticket, SESSION).ok);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(readdirSync(join(stateDir, 'console-tickets'))).toHaveLength(1);
  });

  it('removes used entries once they expire', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'vmango-tickets-'));
    closers.push(() => rmSync(stateDir, { recursive: true, force: true }));
    let now = Date.now();
    const used = new UsedTickets({ stateDir, logger: silentLogger(), now: () => now, sweepMs: 20 });
    closers.push(() => used.close());
    expect(used.claim('nonce-0123456789abcdef', now + 1_000)).toBe(true);
    expect(readdirSync(join(stateDir, 'console-tickets'))).toHaveLength(1);
    now += 2_000;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(readdirSync(join(stateDir, 'console-tickets'))).toHaveLength(0);
  });
});
