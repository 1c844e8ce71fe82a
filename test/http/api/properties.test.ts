/**
 * Tags, label, description and autostart through PATCH /api/machines/{provider}/{id}/ on the demo
 * hypervisor (libvirt's test driver keeps metadata and the autostart flag like a real one), and
 * the list filtered by tag. Bad values are refused naming the field and the rule, and never reach
 * the metadata XML.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB1_ID, startApiPanel, WEB1_ID, apiClient } from './panel-fixture.js';

type Panel = Awaited<ReturnType<typeof startApiPanel>>;
let panel: Panel;
beforeAll(async () => {
  panel = await startApiPanel();
});
afterAll(async () => {
  await panel?.close();
});

const api = apiClient(() => panel.base);

const patch = (id: string, body: unknown) =>
  api(`/api/machines/DEMO/${id}/`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
const patchForm = (id: string, fields: [string, string][]) =>
  api(`/api/machines/DEMO/${id}/`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });

describe('machine properties over the API', () => {
  it('sets tags, a label, a description and autostart, and reads them back in the machine and the list', async () => {
    const res = await patch(WEB1_ID, {
      Tags: ['web', 'berlin', 'web'],
      Label: { Name: 'production', Colour: '0x2F855A' },
      Description: 'Front end <b>&amp;</b> "quotes"\nsecond line',
      Autostart: true,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.json!.Machine).toMatchObject({
      Tags: ['berlin', 'web'],
      Label: { Name: 'production', Colour: '#2f855a' },
      Description: 'Front end <b>&amp;</b> "quotes"\nsecond line',
      Autostart: true,
    });
    const detail = await api(`/api/machines/DEMO/${WEB1_ID}/`);
    expect(detail.json!.Machine).toMatchObject({ Tags: ['berlin', 'web'], Autostart: true });
    const list = await api('/api/machines/');
    const web1 = list.json!.Machines.DEMO.find((m: { Id: string }) => m.Id === WEB1_ID);
    expect(web1).toMatchObject({ Tags: ['berlin', 'web'], Label: { Name: 'production', Colour: '#2f855a' } });
    expect(web1).not.toHaveProperty('Autostart');
  });

  it('adds and removes tags without touching the others, from a form too', async () => {
    await patch(DB1_ID, { Tags: ['db', 'berlin'] });
    const added = await patchForm(DB1_ID, [
      ['AddTags', 'backup, nightly'],
      ['RemoveTags', 'berlin'],
    ]);
    expect(added.status, added.text).toBe(200);
    expect(added.json!.Machine.Tags).toEqual(['backup', 'db', 'nightly']);
    const labelled = await patchForm(DB1_ID, [
      ['LabelName', 'staging'],
      ['LabelColour', '#ABCDEF'],
      ['Autostart', 'false'],
      ['Autostart', 'on'],
    ]);
    expect(labelled.json!.Machine).toMatchObject({ Label: { Name: 'staging', Colour: '#abcdef' }, Autostart: true });
    const removed = await patch(DB1_ID, { Label: null, Description: '' });
    expect(removed.json!.Machine).toMatchObject({ Label: null, Description: '', Tags: ['backup', 'db', 'nightly'] });
  });

  it('filters the list by tag, and finds tags and labels with q', async () => {
    await patch(WEB1_ID, { Tags: ['web', 'berlin'] });
    await patch(DB1_ID, { Tags: ['db', 'berlin'], Label: { Name: 'Datastore', Colour: '#123456' } });
    const names = (res: Awaited<ReturnType<typeof api>>) =>
      (res.json!.Machines.DEMO as { Name: string }[]).map((m) => m.Name).sort();
    expect(names(await api('/api/machines/?tag=berlin'))).toEqual(['db-1', 'web-1']);
    expect(names(await api('/api/machines/?tag=web'))).toEqual(['web-1']);
    expect(names(await api('/api/machines/?tag=nothing'))).toEqual([]);
    expect(names(await api('/api/machines/?q=datast'))).toEqual(['db-1']);
    const bad = await api('/api/machines/?tag=%3Cx%3E');
    expect(bad.status).toBe(400);
    expect(bad.json!.Error).toMatch(/^tag "<x>" is not a tag; a tag is 1–64 letters/);
  });

  it('refuses bad values naming the field and what is allowed, and changes nothing', async () => {
    const before = (await api(`/api/machines/DEMO/${WEB1_ID}/`)).json!.Machine;
    const cases: [unknown, RegExp][] = [
      [{ Tags: ['ok', '</tag><evil/>'] }, /^Tags: "<\/tag><evil\/>" is not a tag; a tag is 1–64 letters/],
      [{ AddTags: ['-starts-with-dash'] }, /^AddTags: "-starts-with-dash" is not a tag/],
      [{ Tags: 'a b' }, /./], // a JSON string is split like a form's
      [{ Label: { Name: 'x', Colour: 'red' } }, /^Label: "red" is not a colour; a colour is #rrggbb or 0xRRGGBB/],
      [{ Label: { Name: '', Colour: '#000000' } }, /^Label: "" is not a label name/],
      [{ Label: 'prod' }, /^Label must be \{"Name"/],
      [{ Description: 'bell \u0007' }, /^Description: at most 1024 characters, without control characters/],
      [{ Description: 'x'.repeat(1025) }, /^Description: at most 1024 characters/],
      [{ Autostart: 'maybe' }, /^Autostart must be true or false/],
      [{ Name: 'renamed' }, /^unknown field "Name"; the fields are Tags, AddTags, RemoveTags, Label, Description, Autostart$/],
      [{}, /^nothing to change/],
      [{ Tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }, /^a machine carries at most 32 tags; this change leaves 33$/],
    ];
    for (const [body, message] of cases) {
      const res = await patch(WEB1_ID, body);
      if ((body as { Tags?: unknown }).Tags === 'a b') {
        expect(res.status).toBe(200);
        await patch(WEB1_ID, { Tags: before.Tags });
        continue;
      }
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.json!.Error).toMatch(message);
    }
    expect((await api(`/api/machines/DEMO/${WEB1_ID}/`)).json!.Machine).toEqual(before);
  });

  it('answers 404 for an unknown machine and 401 without credentials', async () => {
    const unknown = await patch('0'.repeat(32), { Tags: ['x'] });
    expect(unknown.status).toBe(404);
    const anonymous = await fetch(`${panel.base}/api/machines/DEMO/${WEB1_ID}/`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: '{"Tags":["x"]}',
    });
    expect(anonymous.status).toBe(401);
  });
});
