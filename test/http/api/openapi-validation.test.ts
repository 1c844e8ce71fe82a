/**
 * Requests are checked against the schemas the document shows: for every documented body, each
 * field sent with a value its schema does not allow, and a field it does not have, get 400 naming
 * the field (and nothing is done); the values the schemas allow, as JSON and as a form, get past
 * the check; the list's query is checked the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { apiDocumentation } from './openapi-helpers.js';
import { apiClient, DB1_ID, startApiPanel } from './panel-fixture.js';

type Panel = Awaited<ReturnType<typeof startApiPanel>>;
let panel: Panel;
beforeAll(async () => {
  panel = await startApiPanel();
});
afterAll(async () => {
  await panel?.close();
});
const api = apiClient(() => panel.base);

/** A concrete path of a route (the stopped-or-not machine DB1 on DEMO; a snapshot that need not exist). */
const concrete = (path: string) =>
  path.replace(':provider', 'DEMO').replace(':id', DB1_ID).replace(':name', 'none').replace(':action', 'start');

const withBody = () =>
  apiDocumentation()
    .docs.operations()
    .filter((op) => op.body);
/** A value no field's schema allows. */
const BOGUS = { bogus: [1] };

describe('request bodies break their schema', () => {
  it('documents a body for every route that reads one', () => {
    expect(
      withBody()
        .map((op) => op.operationId)
        .sort(),
    ).toEqual([
      'changeMachineProperties',
      'cloneMachine',
      'createMachine',
      'createSnapshot',
      'issueConsoleTicket',
      'rebuildMachine',
      'resizeMachine',
      'revertSnapshot',
    ]);
  });

  it('gets 400 naming the field for a value of the wrong kind, for every field of every body', async () => {
    const before = (await api('/api/machines/')).text;
    let checked = 0;
    for (const op of withBody()) {
      const schema = op.body!.spec.schema;
      // The value is refused by the schema itself, not only by the route.
      expect(
        new Ajv2020({ strict: false }).validate(
          schema,
          Object.fromEntries(Object.keys(schema.properties).map((f) => [f, BOGUS])),
        ),
      ).toBe(false);
      for (const field of Object.keys(schema.properties)) {
        const res = await api(concrete(op.path), {
          method: op.method.toUpperCase(),
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ [field]: BOGUS }),
        });
        expect(res.status, `${op.operationId} ${field}: ${res.text}`).toBe(400);
        expect(res.json!.Error, op.operationId).toContain(field);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(25);
    expect((await api('/api/machines/')).text).toBe(before);
  });

  it('gets 400 naming an unknown field and the allowed ones, as JSON and as a form', async () => {
    for (const op of withBody()) {
      const fields = Object.keys(op.body!.spec.schema.properties);
      for (const [type, body] of [
        ['application/json', JSON.stringify({ Hypervisor: 'x' })],
        ['application/x-www-form-urlencoded', 'Hypervisor=x'],
      ] as const) {
        const res = await api(concrete(op.path), { method: op.method.toUpperCase(), headers: { 'Content-Type': type }, body });
        expect(res.status, `${op.operationId} ${type}`).toBe(400);
        expect(res.json!.Error).toMatch(/^unknown (form )?field "Hypervisor"; the fields are /);
        for (const field of fields) expect(res.json!.Error, op.operationId).toContain(field);
      }
    }
  });

  it('says what a field must be, in the words its schema gives', async () => {
    const cases: [string, string, unknown, string][] = [
      [`/api/machines/DEMO/${DB1_ID}/resize/`, 'POST', { Cpus: 2.5 }, 'Cpus must be a whole number, not 2.5'],
      [`/api/machines/DEMO/${DB1_ID}/resize/`, 'POST', { MemoryMegabytes: -1 }, 'MemoryMegabytes must be a whole number, not -1'],
      [`/api/machines/DEMO/${DB1_ID}/console/`, 'POST', { Kind: 'rdp' }, 'Kind must be one of serial, vnc, not "rdp"'],
      [`/api/machines/DEMO/${DB1_ID}/clone/`, 'POST', { Name: 'x', Start: 'later' }, 'Start must be true or false, not "later"'],
      [`/api/machines/DEMO/${DB1_ID}/`, 'PATCH', { Tags: [1] }, 'Tags must be a list of tags (an array of strings), not [1]'],
      [
        `/api/machines/DEMO/${DB1_ID}/`,
        'PATCH',
        { Label: { Name: 'a' } },
        'Label must be {"Name": "…", "Colour": "#rrggbb"}, or null to remove it',
      ],
      [`/api/machines/DEMO/${DB1_ID}/snapshots/`, 'POST', { Description: 5 }, 'Description must be text'],
      ['/api/machines/', 'POST', { Plan: ['small'] }, 'field "Plan" must be a string, not a list'],
    ];
    for (const [path, method, body, message] of cases) {
      const res = await api(path, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      expect([res.status, res.json!.Error]).toEqual([400, message]);
    }
  });

  it('lets through what the schemas allow, as JSON and as the form spelling of it', async () => {
    const resize = `/api/machines/DEMO/${DB1_ID}/resize/`;
    // Past the schema: the resize service answers (a running machine cannot have fewer CPUs than… or gets them).
    for (const [type, body] of [
      ['application/json', JSON.stringify({ cpus: '1' })],
      ['application/x-www-form-urlencoded', 'Cpus=1'],
    ] as const) {
      const res = await api(resize, { method: 'POST', headers: { 'Content-Type': type }, body });
      expect(res.status, res.text).not.toBe(400);
    }
    const patch = await api(`/api/machines/DEMO/${DB1_ID}/`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'AddTags=a, b&AddTags=c&Autostart=false&Autostart=on',
    });
    expect(patch.status, patch.text).toBe(200);
    expect(patch.json!.Machine.Tags).toEqual(expect.arrayContaining(['a', 'b', 'c']));
    expect(patch.json!.Machine.Autostart).toBe(true);
  });
});

describe('the machine list query breaks its schema', () => {
  it('gets 400 naming the parameter, and what the list takes', async () => {
    expect((await api('/api/machines/?colour=red')).json).toEqual({
      Error: 'unknown query parameter "colour"; the machine list takes provider, state, q, tag',
    });
    const twice = await api('/api/machines/?tag=a&tag=b');
    expect([twice.status, twice.json!.Error]).toEqual([400, 'query parameter "tag" is given more than once; it takes one value']);
    const params = (apiDocumentation().document.paths as Record<string, { get: { parameters: { name: string; in: string }[] } }>)[
      '/api/machines/'
    ]!.get.parameters;
    expect(params.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(['provider', 'state', 'q', 'tag']);
  });
});
