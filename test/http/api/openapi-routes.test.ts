/**
 * The route walk: every route the API router has is in the OpenAPI document and the document has
 * no route the router lacks; then every documented operation is called on a test-driver panel,
 * for a success and at least one error, and every answer's status must be documented for the
 * operation and its body must match the documented schema for that status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { apiDocumentation, openApiPathOf } from './openapi-helpers.js';
import { ALICE, apiClient, authHeaders, DB1_ID, LEGACY_ID, startApiPanel, WEB1_ID } from './panel-fixture.js';
import { openSse } from '../live/sse-client.js';

type Panel = Awaited<ReturnType<typeof startApiPanel>>;
let panel: Panel;
beforeAll(async () => {
  panel = await startApiPanel({ withUnavailable: true });
});
afterAll(async () => {
  await panel?.close();
});
const api = apiClient(() => panel.base);

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: RouteLayer[] };
}

/** Every route of the app's routers (Express keeps them in router.stack): path → methods. */
function routesOf(app: Express): Map<string, Set<string>> {
  const routes = new Map<string, Set<string>>();
  const walk = (stack: RouteLayer[]): void => {
    for (const layer of stack) {
      if (layer.route) {
        const methods = routes.get(layer.route.path) ?? new Set<string>();
        for (const [method, on] of Object.entries(layer.route.methods)) if (on) methods.add(method);
        routes.set(layer.route.path, methods);
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: RouteLayer[] } }).router.stack);
  return routes;
}

describe('the route walk', () => {
  it('finds every API route of the router in the document, and no route the router lacks', () => {
    const routes = new Map([...routesOf(panel.app)].filter(([path]) => path.startsWith('/api/')));
    expect(routes.size).toBeGreaterThanOrEqual(15);
    const { docs } = apiDocumentation();
    const documented = new Map<string, Set<string>>();
    for (const op of docs.operations()) documented.set(op.path, (documented.get(op.path) ?? new Set()).add(op.method));

    for (const [path, methods] of routes) {
      const docMethods = documented.get(path);
      expect(docMethods, `${path} is routed but not documented`).toBeDefined();
      const served = [...methods].filter((method) => method !== '_all');
      // A route served only by .all() (the power actions: POST, other methods 501) documents what it does.
      if (served.length === 0) expect(docMethods!.size, `${path} documents no method`).toBeGreaterThan(0);
      for (const method of served)
        expect(docMethods!.has(method), `${method.toUpperCase()} ${path} is not documented`).toBe(true);
      for (const method of docMethods!)
        expect(methods.has(method) || methods.has('_all'), `${method.toUpperCase()} ${path} is documented, not routed`).toBe(
          true,
        );
    }
    for (const path of documented.keys()) expect(routes.has(path), `${path} is documented, not routed`).toBe(true);
  });
});

interface Call {
  /** The operationId. */
  op: string;
  path: string;
  method?: string;
  body?: unknown;
  form?: string;
  headers?: Record<string, string>;
  status: number;
  /** A server-sent event stream: only its status and head are read. */
  stream?: true;
}

const M = (id: string, rest = '') => `/api/machines/DEMO/${id}/${rest}`;
const NO_SUCH = '0123456789abcdef0123456789abcdef';
const ANONYMOUS = { 'X-Vmango-User': '', 'X-Vmango-Pass': '' };
const WRONG = { 'X-Vmango-User': ALICE.user, 'X-Vmango-Pass': 'not-her-password' };

/** In order: later calls see what earlier ones did. */
const CALLS: Call[] = [
  { op: 'listMachines', path: '/api/machines/', status: 200 },
  { op: 'listMachines', path: '/api/machines/?state=running&q=web', status: 200 },
  { op: 'listMachines', path: '/api/machines/?status=x', status: 400 },
  { op: 'listMachines', path: '/api/machines/', headers: ANONYMOUS, status: 401 },
  // The test driver can neither copy nor rewrite a volume: create, clone and rebuild answer 501 on it
  // (their successes are the harness's: routes.harness.test.ts).
  {
    op: 'createMachine',
    path: '/api/machines/',
    method: 'POST',
    form: 'Name=walk1&Plan=small&Image=Debian-12_amd64_qcow2.img&SSHKey=test&Provider=DEMO',
    status: 501,
  },
  {
    op: 'createMachine',
    path: '/api/machines/',
    method: 'POST',
    body: { Name: 'walk2', Plan: 'small', Image: 'Debian-12_amd64_qcow2.img', Provider: 'DEMO', SSHKeys: ['test'] },
    status: 501,
  },
  {
    op: 'createMachine',
    path: '/api/machines/',
    method: 'POST',
    body: { Name: 'web-1', Plan: 'small', Image: 'Debian-12_amd64_qcow2.img', Provider: 'DEMO' },
    status: 409,
  },
  { op: 'createMachine', path: '/api/machines/', method: 'POST', body: { Name: 7 }, status: 400 },
  {
    op: 'createMachine',
    path: '/api/machines/',
    method: 'POST',
    body: { Name: 'walk3', Plan: 'small', Image: 'x', Provider: 'GONE' },
    status: 503,
  },
  {
    op: 'createMachine',
    path: '/api/machines/',
    method: 'POST',
    headers: { 'Content-Type': 'text/plain' },
    form: 'x',
    status: 415,
  },
  { op: 'getMachine', path: M(WEB1_ID), status: 200 },
  { op: 'getMachine', path: M(LEGACY_ID), status: 200 },
  { op: 'getMachine', path: M(NO_SUCH), status: 404 },
  { op: 'getMachine', path: `/api/machines/GONE/${WEB1_ID}/`, status: 503 },
  // The test driver has no guest agent: 200 with Agent.Answering false.
  { op: 'getGuestFacts', path: M(WEB1_ID, 'guest/'), status: 200 },
  { op: 'getGuestFacts', path: M(NO_SUCH, 'guest/'), status: 404 },
  { op: 'getGuestFacts', path: `/api/machines/GONE/${WEB1_ID}/guest/`, status: 503 },
  {
    op: 'changeMachineProperties',
    path: M(WEB1_ID),
    method: 'PATCH',
    body: { AddTags: ['walk'], Label: { Name: 'prod', Colour: '#2f855a' } },
    status: 200,
  },
  { op: 'changeMachineProperties', path: M(WEB1_ID), method: 'PATCH', body: { Autostart: 'maybe' }, status: 400 },
  { op: 'changeMachineProperties', path: M(NO_SUCH), method: 'PATCH', body: { Description: 'x' }, status: 404 },
  { op: 'issueConsoleTicket', path: M(WEB1_ID, 'console/'), method: 'POST', body: { Kind: 'serial' }, status: 201 },
  { op: 'issueConsoleTicket', path: M(WEB1_ID, 'console/'), method: 'POST', body: { Kind: 'spice' }, status: 400 },
  { op: 'issueConsoleTicket', path: M(NO_SUCH, 'console/'), method: 'POST', status: 404 },
  { op: 'listSnapshots', path: M(WEB1_ID, 'snapshots/'), status: 200 },
  { op: 'listSnapshots', path: M(NO_SUCH, 'snapshots/'), status: 404 },
  {
    op: 'createSnapshot',
    path: M(WEB1_ID, 'snapshots/'),
    method: 'POST',
    body: { Name: 'walk', Description: 'route walk' },
    status: 201,
  },
  { op: 'createSnapshot', path: M(WEB1_ID, 'snapshots/'), method: 'POST', body: { Name: 'walk' }, status: 409 },
  { op: 'createSnapshot', path: M(WEB1_ID, 'snapshots/'), method: 'POST', body: { Name: 'x', Force: true }, status: 400 },
  { op: 'listSnapshots', path: M(WEB1_ID, 'snapshots/'), status: 200 },
  { op: 'revertSnapshot', path: M(WEB1_ID, 'snapshots/walk/revert/'), method: 'POST', status: 400 },
  { op: 'revertSnapshot', path: M(WEB1_ID, 'snapshots/walk/revert/'), method: 'POST', body: { Force: true }, status: 200 },
  { op: 'revertSnapshot', path: M(WEB1_ID, 'snapshots/none/revert/'), method: 'POST', body: { Force: true }, status: 404 },
  { op: 'deleteSnapshot', path: M(WEB1_ID, 'snapshots/walk/'), method: 'DELETE', status: 204 },
  { op: 'deleteSnapshot', path: M(WEB1_ID, 'snapshots/walk/'), method: 'DELETE', status: 404 },
  { op: 'changeMachineState', path: M(DB1_ID, 'stop/'), method: 'POST', status: 200 },
  { op: 'changeMachineState', path: M(DB1_ID, 'stop/'), method: 'POST', status: 400 },
  { op: 'changeMachineState', path: M(DB1_ID, 'explode/'), method: 'POST', status: 404 },
  { op: 'resizeMachine', path: M(DB1_ID, 'resize/'), method: 'POST', body: { Cpus: 2, MemoryMegabytes: 1024 }, status: 200 },
  { op: 'resizeMachine', path: M(DB1_ID, 'resize/'), method: 'POST', body: { Cpus: 'two' }, status: 400 },
  { op: 'resizeMachine', path: M(NO_SUCH, 'resize/'), method: 'POST', body: { Cpus: 2 }, status: 404 },
  { op: 'cloneMachine', path: M(DB1_ID, 'clone/'), method: 'POST', body: { Name: 'db-1-copy' }, status: 501 },
  { op: 'cloneMachine', path: M(WEB1_ID, 'clone/'), method: 'POST', body: { Name: 'web-1-copy' }, status: 409 },
  { op: 'cloneMachine', path: M(DB1_ID, 'clone/'), method: 'POST', body: { Name: 'ok', Full: 'maybe' }, status: 400 },
  { op: 'rebuildMachine', path: M(WEB1_ID, 'rebuild/'), method: 'POST', body: {}, status: 501 },
  { op: 'rebuildMachine', path: M(WEB1_ID, 'rebuild/'), method: 'POST', body: { Image: 'no-such.img' }, status: 400 },
  { op: 'changeMachineState', path: M(DB1_ID, 'start/'), method: 'POST', status: 200 },
  { op: 'deleteMachine', path: M(LEGACY_ID), method: 'DELETE', status: 204 },
  { op: 'deleteMachine', path: M(LEGACY_ID), method: 'DELETE', status: 404 },
  { op: 'listImages', path: '/api/images/', status: 200 },
  { op: 'listImages', path: '/api/images/', headers: WRONG, status: 401 },
  { op: 'listProviders', path: '/api/providers/', status: 200 },
  { op: 'listProviders', path: '/api/providers/', headers: ANONYMOUS, status: 401 },
  { op: 'listPlans', path: '/api/plans/', status: 200 },
  { op: 'listPlans', path: '/api/plans/', headers: WRONG, status: 401 },
  { op: 'listSshKeys', path: '/api/keys/', status: 200 },
  { op: 'listSshKeys', path: '/api/keys/', headers: ANONYMOUS, status: 401 },
  { op: 'getQuota', path: '/api/quota/', status: 200 },
  { op: 'getQuota', path: '/api/quota/', headers: ANONYMOUS, status: 401 },
  { op: 'listTokens', path: '/api/tokens/', status: 200 },
  { op: 'listTokens', path: '/api/tokens/', headers: WRONG, status: 401 },
  { op: 'followEvents', path: '/api/events/', status: 200, stream: true },
  { op: 'followEvents', path: '/api/events/?last_event_id=yesterday', status: 400 },
  { op: 'followEvents', path: '/api/events/', headers: { 'Last-Event-ID': 'x' }, status: 400 },
  { op: 'followEvents', path: '/api/events/', headers: WRONG, status: 401 },
  { op: 'listAuditEntries', path: '/api/audit/', status: 200 },
  { op: 'listAuditEntries', path: '/api/audit/?action=machine.power&limit=2', status: 200 },
  { op: 'listAuditEntries', path: '/api/audit/?action=explode', status: 400 },
  { op: 'listAuditEntries', path: '/api/audit/?colour=red', status: 400 },
  { op: 'listAuditEntries', path: '/api/audit/', headers: WRONG, status: 401 },
  { op: 'getOpenApiDocument', path: '/api/openapi.json', status: 200 },
  { op: 'getOpenApiDocument', path: '/api/openapi.json', headers: ANONYMOUS, status: 401 },
];

/** Operations whose success the test driver cannot give (see above). */
const NO_SUCCESS_ON_TEST_DRIVER = new Set(['createMachine', 'cloneMachine', 'rebuildMachine']);

function responseValidator(): (op: string, status: number) => ValidateFunction | null | undefined {
  const { document } = apiDocumentation();
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: 'vmango-openapi', ...document });
  const paths = document.paths as Record<
    string,
    Record<string, { operationId: string; responses: Record<string, { content?: object }> }>
  >;
  const where = new Map<string, { path: string; method: string }>();
  for (const [path, item] of Object.entries(paths))
    for (const [method, op] of Object.entries(item)) where.set(op.operationId, { path, method });
  const pointer = (...parts: string[]) =>
    parts.map((part) => encodeURIComponent(part.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');
  return (op, status) => {
    const at = where.get(op);
    if (!at) throw new Error(`no operation ${op}`);
    const answer = paths[at.path]![at.method]!.responses[String(status)];
    if (!answer) return undefined;
    if (!answer.content) return null;
    return ajv.getSchema(
      `vmango-openapi#/${pointer('paths', at.path, at.method, 'responses', String(status), 'content', 'application/json', 'schema')}`,
    )!;
  };
}

/** The media type the document gives for an operation's answer with this status. */
function documentedMediaType(op: string, status: number): string | undefined {
  const paths = apiDocumentation().document.paths as Record<
    string,
    Record<string, { operationId: string; responses: Record<string, { content?: Record<string, unknown> }> }>
  >;
  for (const item of Object.values(paths))
    for (const operation of Object.values(item))
      if (operation.operationId === op) return Object.keys(operation.responses[String(status)]?.content ?? {})[0];
  return undefined;
}

describe('every documented operation, called', () => {
  it('has a success and an error call here', () => {
    const ops = apiDocumentation()
      .docs.operations()
      .map((op) => op.operationId);
    for (const op of ops) {
      const statuses = CALLS.filter((call) => call.op === op).map((call) => call.status);
      if (!NO_SUCCESS_ON_TEST_DRIVER.has(op))
        expect(
          statuses.some((s) => s < 300),
          `${op}: no success call`,
        ).toBe(true);
      expect(
        statuses.some((s) => s >= 400),
        `${op}: no error call`,
      ).toBe(true);
    }
    for (const call of CALLS) expect(ops).toContain(call.op);
  });

  it('answers each call with a documented status and a body its schema allows', async () => {
    const validatorFor = responseValidator();
    const { docs } = apiDocumentation();
    for (const call of CALLS) {
      const op = docs.operations().find((o) => o.operationId === call.op)!;
      expect(openApiPathOf(call.path, op.path), `${call.path} is not a path of ${call.op}`).toBe(true);
      expect((call.method ?? 'GET').toLowerCase()).toBe(op.method);
      const init: RequestInit = { method: call.method ?? 'GET', headers: call.headers ?? {} };
      if (call.body !== undefined) {
        init.body = JSON.stringify(call.body);
        init.headers = { 'Content-Type': 'application/json', ...call.headers };
      } else if (call.form !== undefined) {
        init.body = call.form;
        init.headers = { 'Content-Type': 'application/x-www-form-urlencoded', ...call.headers };
      }
      if (call.stream) {
        const controller = new AbortController();
        const head = await fetch(panel.base + call.path, {
          ...init,
          headers: { ...authHeaders(), ...(init.headers as Record<string, string>) },
          signal: controller.signal,
        });
        controller.abort();
        expect(head.status, call.path).toBe(call.status);
        expect(head.headers.get('content-type'), call.path).toMatch(/^text\/event-stream/);
        expect(documentedMediaType(call.op, head.status), call.path).toBe('text/event-stream');
        continue;
      }
      const res = await api(call.path, init);
      const what = `${call.method ?? 'GET'} ${call.path} → ${res.status} ${res.text.slice(0, 300)}`;
      expect(res.status, what).toBe(call.status);
      const validate = validatorFor(call.op, res.status);
      expect(validate, `${what}: status not documented for ${call.op}`).not.toBeUndefined();
      if (validate === null) {
        expect(res.text, what).toBe('');
        continue;
      }
      expect(res.headers.get('content-type'), what).toBe('application/json; charset=UTF-8');
      const valid = validate!(res.json);
      expect(valid, `${what}: ${JSON.stringify(validate!.errors)}`).toBe(true);
    }
  });

  it("sends events whose data the document's Event schema allows", async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ $id: 'vmango-openapi', ...apiDocumentation().document });
    const validate = ajv.getSchema('vmango-openapi#/components/schemas/Event')!;
    const stream = await openSse(`${panel.base}/api/events/`, authHeaders());
    try {
      expect((await api(M(WEB1_ID, 'stop/'), { method: 'POST' })).status).toBe(200);
      const event = await stream.until((e) => e.event === 'machine.state');
      expect((await api(M(WEB1_ID, 'start/'), { method: 'POST' })).status).toBe(200);
      const data = JSON.parse(event.data) as unknown;
      expect(validate(data), JSON.stringify(validate.errors)).toBe(true);
      expect(validate({ ...(data as object), extra: 1 })).toBe(false);
    } finally {
      await stream.close();
    }
  });

  it('fails an answer its schema does not allow (the check can say no)', async () => {
    const validate = responseValidator()('getMachine', 200)!;
    const good = (await api(M(WEB1_ID))).json!;
    expect(validate(good)).toBe(true);
    expect(validate({ ...good, Extra: 1 })).toBe(false);
    expect(validate({ ...good, Machine: { ...good.Machine, State: 'asleep' } })).toBe(false);
    const { Managed: _dropped, ...missing } = good.Machine as Record<string, unknown>;
    expect(validate({ ...good, Machine: missing })).toBe(false);
  });
});
