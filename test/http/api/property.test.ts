/**
 * Generated requests against the real panel on the demo test-driver hypervisor: whatever the
 * names, keys, userdata, ids and headers, the API never answers 5xx (except 501 for creates
 * that reach the test driver's clone step and 503 for the provider that is down), always answers
 * JSON in 0.6's error shape, and the demo machines' domain XML keeps its structure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ADMIN, DB1_ID, LEGACY_ID, startApiPanel, WEB1_ID } from './panel-fixture.js';

const RUNS = 1_000;
const BATCH = 10; // requests per run, sent concurrently: RUNS × BATCH = 10 000 requests

type Panel = Awaited<ReturnType<typeof startApiPanel>>;
let panel: Panel;
const DEMO_IDS = [WEB1_ID, DB1_ID, LEGACY_ID];

beforeAll(async () => {
  // Failure limits far above what the generated wrong passwords reach, so they do not lock out the rest.
  panel = await startApiPanel({
    withUnavailable: true,
    auth: { limits: { maxFailures: 1_000_000, maxFailuresPerAddress: 1_000_000 } },
  });
});
afterAll(async () => {
  await panel?.close();
});

/** The domain XML without what power actions legitimately change: the run id and indentation between elements. */
async function domainXml(id: string): Promise<string> {
  const domain = await panel.hypervisors.get('DEMO').lookupDomainByUuid(id);
  return (await domain.getXmlDesc()).replace(/^<domain type='test' id='\d+'>/, "<domain type='test'>").replace(/>\s+</g, '><');
}

async function restoreRunning(id: string): Promise<void> {
  const domain = await panel.hypervisors.get('DEMO').lookupDomainByUuid(id);
  const { state } = await domain.getState();
  if (state === 'paused') await domain.resume();
  else if (state !== 'running') await domain.start();
}

const tricky = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(']]>', '"', "'", '<x/>', '&amp;', '\u0000', '../..', '%', 'web-1', 'db-1', ' ', '\u2028', '🐧', 'a'.repeat(70)),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
);
const provider = fc.oneof(fc.constantFrom('DEMO', 'DEMO', 'GONE', 'demo'), tricky);
const machineId = fc.oneof(
  fc.constantFrom(...DEMO_IDS, '4fe88494-0a38-4a15-b039-f94a9bea4934', '0123456789abcdef0123456789abcdef'),
  fc.uuid().map((u) => (Math.random() < 0.5 ? u : u.replace(/-/g, ''))),
  tricky,
);
const action = fc.oneof(fc.constantFrom('start', 'stop', 'reboot', 'shutdown', 'pause', 'resume'), tricky);
const credentials = fc.oneof(
  { weight: 90, arbitrary: fc.constant({ 'X-Vmango-User': ADMIN.user, 'X-Vmango-Pass': ADMIN.password }) },
  { weight: 6, arbitrary: fc.constant({}) },
  // Wrong passwords cost a bcrypt each; keep them few.
  {
    weight: 1,
    arbitrary: fc.record({
      'X-Vmango-User': fc.constantFrom('admin', 'nobody'),
      'X-Vmango-Pass': fc.stringMatching(/^[ -~]{1,20}$/),
    }),
  },
);

const createFields = fc.record(
  {
    Name: tricky,
    Plan: fc.oneof(fc.constantFrom('small', 'large'), tricky),
    Image: fc.oneof(fc.constantFrom('Debian-12_amd64_qcow2.img', 'Cirros-0.6_amd64_raw.img', 'README.txt'), tricky),
    Provider: provider,
    Userdata: fc.oneof(tricky, fc.constantFrom(']]>\n<![CDATA[', '#cloud-config\nruncmd: ["echo </vmango:userdata>"]')),
    SSHKey: fc.array(fc.oneof(fc.constant('test'), tricky), { maxLength: 3 }),
  },
  { requiredKeys: [] },
);

function formBody(fields: Record<string, string | string[]>, extraKey?: string): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const v of [value].flat()) params.append(name, v);
  if (extraKey !== undefined) params.append(extraKey, 'x');
  return params.toString();
}

/** A path segment sent as is: letters and %-escapes, some of them malformed. */
const rawSegment = fc
  .array(fc.oneof(fc.stringMatching(/^[a-zA-Z0-9._~-]{1,4}$/), fc.stringMatching(/^%[0-9A-Fa-fGZz]{0,2}$/)), {
    minLength: 1,
    maxLength: 6,
  })
  .map((parts) => parts.join(''));

const request = fc.oneof(
  fc.record({
    kind: fc.constant('create' as const),
    fields: createFields,
    json: fc.boolean(),
    extraKey: fc.option(tricky, { freq: 5 }),
    credentials,
  }),
  fc.record({
    kind: fc.constant('detail' as const),
    provider,
    id: machineId,
    method: fc.constantFrom('GET', 'HEAD', 'PUT', 'POST'),
    credentials,
  }),
  fc.record({
    kind: fc.constant('action' as const),
    provider,
    id: machineId,
    action,
    method: fc.constantFrom('POST', 'POST', 'GET'),
    credentials,
  }),
  fc.record({
    kind: fc.constant('raw' as const),
    segments: fc.array(rawSegment, { minLength: 1, maxLength: 3 }),
    method: fc.constantFrom('GET', 'POST', 'DELETE'),
    credentials,
  }),
);
type Generated = typeof request extends fc.Arbitrary<infer T> ? T : never;

function allowed(req: Generated, status: number): boolean {
  if (status < 500) return true;
  if (status === 503) {
    if (req.kind === 'create') return req.fields.Provider === 'GONE';
    if (req.kind === 'raw') return req.segments[0] === 'GONE';
    return req.provider === 'GONE';
  }
  if (status === 501) return true; // Not implemented methods, and creates the test driver cannot clone
  return false;
}

async function send(req: Generated): Promise<{ status: number; contentType: string | null; body: string }> {
  const seg = encodeURIComponent;
  let url: string;
  let init: RequestInit;
  if (req.kind === 'create') {
    const headers: Record<string, string> = {
      ...req.credentials,
      'Content-Type': req.json ? 'application/json' : 'application/x-www-form-urlencoded',
    };
    const fields = req.extraKey === null ? req.fields : { ...req.fields, [req.extraKey]: 'x' };
    init = { method: 'POST', headers, body: req.json ? JSON.stringify(fields) : formBody(fields) };
    url = '/api/machines/';
  } else if (req.kind === 'detail') {
    url = `/api/machines/${seg(req.provider)}/${seg(req.id)}/`;
    init = { method: req.method, headers: req.credentials };
  } else if (req.kind === 'raw') {
    url = `/api/machines/${req.segments.join('/')}/`;
    init = { method: req.method, headers: req.credentials };
  } else {
    url = `/api/machines/${seg(req.provider)}/${seg(req.id)}/${seg(req.action)}/`;
    init = { method: req.method, headers: req.credentials };
  }
  const res = await fetch(panel.base + url, init);
  return { status: res.status, contentType: res.headers.get('content-type'), body: await res.text() };
}

describe('generated API requests', () => {
  it(`answers ${RUNS * BATCH} requests without a server error, in JSON, and leaves the demo machines intact`, async () => {
    const before = await Promise.all(DEMO_IDS.map(domainXml));
    let sent = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const answers = await Promise.all(batch.map(send));
        answers.forEach((answer, i) => {
          sent++;
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          const req = batch[i]!;
          expect(allowed(req, answer.status), `${answer.status} ${answer.body} for ${JSON.stringify(req)}`).toBe(true);
          expect(answer.contentType).toBe('application/json; charset=UTF-8');
          if (answer.status >= 400 && answer.body !== '') {
            const parsed = JSON.parse(answer.body) as { Error?: unknown };
            expect(typeof parsed.Error).toBe('string');
            expect(parsed.Error).not.toMatch(/\n\s+at /); // never a stack trace
          }
        });
      }),
      { numRuns: RUNS },
    );
    expect(sent).toBeGreaterThanOrEqual(10_000);
    // The generator reached every interesting answer.
    for (const status of [200, 400, 401, 404, 501, 503]) expect(statuses.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
    for (const id of DEMO_IDS) await restoreRunning(id);
    expect(await Promise.all(DEMO_IDS.map(domainXml))).toEqual(before);
    const list = await fetch(`${panel.base}/api/machines/?provider=DEMO`, {
      headers: { 'X-Vmango-User': ADMIN.user, 'X-Vmango-Pass': ADMIN.password },
    });
    const names = ((await list.json()) as { Machines: { DEMO: { Name: string }[] } }).Machines.DEMO.map((m) => m.Name).sort();
    expect(names).toEqual(['db-1', 'legacy-appliance', 'web-1']);
  }, 600_000);
});
