// Child process of console-stress.harness.test.ts: CONSOLES echo guests, each console flooded
// both ways (chunks of random bytes sent while the echoes come back) for SECONDS, while bulk
// listings run on the same connection. Prints one JSON line; a crash kills the process instead.
import { randomBytes } from 'node:crypto';
import { DomainStatsTypes, openConnection, type ConsoleSession } from '../../../server/libvirt/index.js';
import { harnessEnv } from '../../helpers/harness.js';
import { ECHO_READY, startEchoGuest } from '../echo-guest.js';

const env = harnessEnv()!;
const CONSOLES = Number(process.env.STRESS_CONSOLES ?? 20);
const SECONDS = Number(process.env.STRESS_SECONDS ?? 60);
const CHUNK = 4096;
const IN_FLIGHT = 4;

const conn = await openConnection(env.uri, { callTimeoutMs: 60_000 });
const guests = await Promise.all(Array.from({ length: CONSOLES }, (_, i) => startEchoGuest(conn, env, `cst${process.pid}-${i}`)));

async function flood(console: ConsoleSession, until: number): Promise<{ sent: number; intact: boolean }> {
  let received = Buffer.alloc(0);
  let ready = false;
  const expected: Buffer[] = [];
  let expectedOffset = 0;
  let intact = true;
  let sent = 0;
  let wake: (() => void) | undefined;
  // The guest printed its banner before the console opened: it is ready once a probe comes back.
  const probe = Buffer.from(`${ECHO_READY}-${Math.random().toString(36).slice(2)}\n`);
  let settled = false;
  console.on('data', (chunk: Buffer) => {
    if (!ready) {
      received = Buffer.concat([received, chunk]);
      if (received.indexOf(probe) >= 0) ready = true;
      return;
    }
    // Echoes of probes sent again before the first came back are still arriving: skip them.
    if (!settled) return;
    // Every echoed byte must be the next byte sent.
    let offset = 0;
    while (offset < chunk.length && expected.length > 0) {
      const head = expected[0]!;
      const n = Math.min(head.length - expectedOffset, chunk.length - offset);
      if (!head.subarray(expectedOffset, expectedOffset + n).equals(chunk.subarray(offset, offset + n))) intact = false;
      offset += n;
      expectedOffset += n;
      if (expectedOffset === head.length) {
        expected.shift();
        expectedOffset = 0;
      }
    }
    if (offset < chunk.length) intact = false;
    wake?.();
  });
  for (let tries = 0; !ready; tries++) {
    if (tries % 25 === 0) console.write(probe);
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 500));
  settled = true;
  while (Date.now() < until) {
    while (expected.length >= IN_FLIGHT) await new Promise<void>((r) => (wake = r));
    const chunk = randomBytes(CHUNK);
    expected.push(chunk);
    console.write(chunk);
    sent += chunk.length;
  }
  const drainedBy = Date.now() + 20_000;
  while (expected.length > 0 && Date.now() < drainedBy) await new Promise((r) => setTimeout(r, 20));
  return { sent, intact: intact && expected.length === 0 };
}

let listings = 0;
let stop = false;
const lister = (async () => {
  while (!stop) {
    await Promise.all([
      conn.listAllDomains({ withXml: true }),
      conn.getAllDomainStats({ stats: DomainStatsTypes.STATE | DomainStatsTypes.BLOCK }),
    ]);
    listings++;
  }
})();

const started = Date.now();
const consoles = await Promise.all(guests.map((g) => g.domain.openConsole({ flags: 1 })));
const results = await Promise.all(consoles.map((c) => flood(c, started + SECONDS * 1000)));
stop = true;
await lister;
for (const c of consoles) c.destroy();
await Promise.all(guests.map((g) => g.cleanup()));
await conn.close();
const bytes = results.reduce((a, r) => a + r.sent, 0);
console.log(
  JSON.stringify({
    consoles: CONSOLES,
    seconds: SECONDS,
    bytesEachWay: bytes,
    intact: results.every((r) => r.intact),
    broken: results.filter((r) => !r.intact).length,
    listings,
  }),
);
process.exit(0);
