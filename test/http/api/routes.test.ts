/**
 * The REST API end to end: real config, connection manager, libvirt test driver (demo hypervisor),
 * machine service and app, over HTTP. Expectations follow vmango 0.6's routes and JSON (spec §2, §3, §11).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, DB1_ID, LEGACY_ID, startApiPanel, WEB1_ID, ALICE, apiClient } from './panel-fixture.js';
import { rawRequest } from './helpers.js';

const FORM = 'application/x-www-form-urlencoded';
const VM_KEYS_06 = [
  'Id',
  'Name',
  'Plan',
  'Creator',
  'OS',
  'Arch',
  'Memory',
  'Cpus',
  'ImageId',
  'Ip',
  'HWAddr',
  'VNCAddr',
  'RootDisk',
  'SSHKeys',
];
const DEMO_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMwpVbhzB4dcwUbD1tRsbtQTzSsTnjTPRXUMsAa5O1Y3 demo@vmango';

const WEB1_JSON = {
  Id: WEB1_ID,
  Name: 'web-1',
  Plan: 'small',
  Creator: 'demo',
  OS: 'Debian-12',
  Arch: 'x86_64',
  Memory: 536870912,
  Cpus: 1,
  ImageId: 'Debian-12_amd64_qcow2.img',
  Ip: { Address: '192.168.150.10', Gateway: '', Netmask: 0, UsedBy: '' },
  HWAddr: '52:54:00:5a:10:01',
  VNCAddr: '127.0.0.1:5900',
  RootDisk: { Size: 10737418240, Driver: 'qemu', Type: 'qcow2' },
  SSHKeys: [{ Name: 'demo', Public: DEMO_KEY }],
  State: 'running',
  Managed: true,
  Provider: 'DEMO',
  Tags: [],
  Label: null,
  Description: '',
};

type Panel = Awaited<ReturnType<typeof startApiPanel>>;
let panel: Panel;
beforeAll(async () => {
  panel = await startApiPanel({ withUnavailable: true });
});
afterAll(async () => {
  await panel?.close();
});

const api = apiClient(() => panel.base);

function expectApiContentType(headers: Headers) {
  expect(headers.get('content-type')).toBe('application/json; charset=UTF-8');
}

describe('GET /api/machines/', () => {
  it("lists every provider's machines in 0.6's shape, flagging the unavailable provider", async () => {
    const res = await api('/api/machines/');
    expect(res.status).toBe(200);
    expectApiContentType(res.headers);
    expect(Object.keys(res.json!)).toEqual(['Machines', 'Providers', 'Title']);
    expect(res.json!.Title).toBe('Machines');
    expect(Object.keys(res.json!.Machines)).toEqual(['DEMO', 'GONE']);
    const demo = res.json!.Machines.DEMO as Record<string, unknown>[];
    expect(demo.map((m) => m.Name).sort()).toEqual(['db-1', 'legacy-appliance', 'web-1']);
    const web1 = demo.find((m) => m.Name === 'web-1')!;
    expect(web1).toEqual(WEB1_JSON);
    expect(Object.keys(web1).slice(0, VM_KEYS_06.length)).toEqual(VM_KEYS_06);
    expect(res.json!.Machines.GONE).toEqual([]);
    expect(res.json!.Providers.DEMO).toMatchObject({ State: 'connected', Error: '' });
    expect(res.json!.Providers.GONE).toMatchObject({ State: 'unavailable', Error: expect.stringMatching(/missing\.xml/) });
    expect(Date.parse(res.json!.Providers.GONE.Since)).not.toBeNaN();
  });

  it('lists a machine vmango did not create with what is known', async () => {
    const res = await api('/api/machines/?q=legacy');
    expect(res.json!.Machines.DEMO).toEqual([
      expect.objectContaining({ Id: LEGACY_ID, Name: 'legacy-appliance', Managed: false, Ip: null, RootDisk: null, HWAddr: '' }),
    ]);
  });

  it('indents like 0.6 and escapes <, >, & as Go does', async () => {
    const res = await api('/api/machines/?provider=DEMO&q=web');
    expect(res.text.startsWith('{\n  "Machines": {\n    "DEMO": [\n      {\n        "Id": "')).toBe(true);
  });

  it('filters by provider, state and a search term', async () => {
    const byProvider = await api('/api/machines/?provider=DEMO');
    expect(Object.keys(byProvider.json!.Machines)).toEqual(['DEMO']);
    const byQuery = await api('/api/machines/?q=DB-');
    expect(byQuery.json!.Machines.DEMO.map((m: { Id: string }) => m.Id)).toEqual([DB1_ID]);
    const stopped = await api('/api/machines/?state=stopped&provider=DEMO');
    expect(stopped.json!.Machines.DEMO.every((m: { State: string }) => m.State === 'stopped')).toBe(true);
  });

  it('refuses filters it does not know, naming what it takes', async () => {
    expect((await api('/api/machines/?state=asleep')).json).toEqual({
      Error: 'state "asleep" is not a machine state; use one of running, stopped, paused, unknown',
    });
    const unknown = await api('/api/machines/?status=running');
    expect(unknown.status).toBe(400);
    expect(unknown.json!.Error).toBe('unknown query parameter "status"; the machine list takes provider, state, q, tag');
    expect((await api('/api/machines/?q=a&q=b')).json!.Error).toBe(
      'query parameter "q" is given more than once; it takes one value',
    );
    const provider = await api('/api/machines/?provider=NOPE');
    expect(provider.status).toBe(400);
    expect(provider.json!.Error).toBe("provider 'NOPE' not found; the providers are DEMO, GONE");
  });

  it('answers HEAD like GET without a body', async () => {
    const res = await api('/api/machines/', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expectApiContentType(res.headers);
    expect(res.text).toBe('');
  });

  it('answers a repeated list (served from the cached body) with the same bytes, headers and ETag, and If-None-Match as other routes', async () => {
    const first = await api('/api/machines/');
    const again = await api('/api/machines/');
    expect(again.text).toBe(first.text);
    expectApiContentType(again.headers);
    expect(again.headers.get('cache-control')).toBe('no-store');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^W\/"/);
    expect(again.headers.get('etag')).toBe(etag);
    // A conditional request is answered as for any other API route (sendJson).
    const plans = await api('/api/plans/');
    const plansCond = await api('/api/plans/', { headers: { 'If-None-Match': plans.headers.get('etag')! } });
    const cond = await api('/api/machines/', { headers: { 'If-None-Match': etag! } });
    expect(cond.status).toBe(plansCond.status);
    // A filtered list in between does not disturb it.
    expect((await api('/api/machines/?q=web')).text).not.toBe(first.text);
    expect((await api('/api/machines/')).text).toBe(first.text);
  });

  it('answers PUT, DELETE and other methods with 501 Not implemented', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const res = await api('/api/machines/', { method });
      expect(res.status).toBe(501);
      expect(res.json).toEqual({ Error: 'Not implemented' });
    }
  });
});

describe('GET /api/machines/{provider}/{id}/', () => {
  it("answers 0.6's detail shape", async () => {
    const res = await api(`/api/machines/DEMO/${WEB1_ID}/`);
    expect(res.status).toBe(200);
    expectApiContentType(res.headers);
    expect(Object.keys(res.json!)).toEqual(['Machine', 'Provider', 'Title']);
    expect(res.json).toEqual({ Machine: { ...WEB1_JSON, Autostart: false }, Provider: 'DEMO', Title: 'Machine web-1' });
  });

  it('accepts the id as a dashed UUID too', async () => {
    const res = await api('/api/machines/DEMO/4fe88494-0a38-4a15-b039-f94a9bea4934/');
    expect(res.json!.Machine.Id).toBe(WEB1_ID);
  });

  it('answers HEAD', async () => {
    const res = await api(`/api/machines/DEMO/${WEB1_ID}/`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
  });

  it('answers 404 with a plain message for ids that are not machines (0.6 gave 500 Invalid UUID)', async () => {
    const malformed = await api('/api/machines/DEMO/nonexist/');
    expect(malformed.status).toBe(404);
    expect(malformed.json!.Error).toMatch(/^Machine with id nonexist not found on provider DEMO/);
    const absent = await api('/api/machines/DEMO/0123456789abcdef0123456789abcdef/');
    expect(absent.status).toBe(404);
    expect(absent.json).toEqual({ Error: 'Machine with id 0123456789abcdef0123456789abcdef not found on provider DEMO' });
    const provider = await api(`/api/machines/NOPE/${WEB1_ID}/`);
    expect(provider.status).toBe(404);
    expect(provider.json).toEqual({ Error: "provider 'NOPE' not found" });
  });

  it('answers 503 with Retry-After for a machine on an unavailable provider', async () => {
    const res = await api(`/api/machines/GONE/${WEB1_ID}/`);
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.json!.Error).toMatch(/^provider 'GONE' is unavailable: .*missing\.xml/);
  });

  it('answers PUT and POST with 501', async () => {
    for (const method of ['PUT', 'POST']) {
      const res = await api(`/api/machines/DEMO/${WEB1_ID}/`, { method });
      expect(res.status).toBe(501);
      expect(res.json).toEqual({ Error: 'Not implemented' });
    }
  });
});

describe('paths 0.6 did not serve', () => {
  it('answers paths without the trailing slash, and unknown ones, with a JSON 404', async () => {
    for (const path of [
      '/api/machines',
      `/api/machines/DEMO/${WEB1_ID}`,
      `/api/machines/DEMO/${WEB1_ID}/stop`,
      '/api/images',
      '/api/Machines/',
      '/api/nothing/',
      '/api/machines/DEMO/',
    ]) {
      const res = await api(path);
      expect(res.status, path).toBe(404);
      expectApiContentType(res.headers);
      expect(res.json, path).toEqual({ Error: 'Not found' });
    }
  });

  it('answers 400 for a path segment with a malformed %-escape', async () => {
    for (const path of ['/api/machines/DEMO/%E0%A4%A/', '/api/machines/%ZZ/abc/', `/api/machines/DEMO/${WEB1_ID}/%ZZ/`]) {
      const res = await rawRequest(panel.base + path, { headers: authHeaders() });
      expect(res.status, path).toBe(400);
      expect(JSON.parse(res.body).Error).toMatch(/^the path has a malformed %-escape: Failed to decode param/);
    }
  });

  it('asks for credentials before saying what exists', async () => {
    const res = await fetch(`${panel.base}/api/nothing/`);
    expect(res.status).toBe(401);
  });
});

describe('POST /api/machines/{provider}/{id}/{action}/', () => {
  it("runs 0.6's actions and the added ones, answering 0.6's message (and Via for a shutdown or reboot)", async () => {
    for (const action of ['stop', 'start', 'reboot', 'pause', 'resume', 'shutdown', 'start']) {
      const res = await api(`/api/machines/DEMO/${DB1_ID}/${action}/`, { method: 'POST' });
      expect(res.status, action).toBe(200);
      expectApiContentType(res.headers);
      // The test driver has no guest agent: its own shutdown and reboot ("driver"); on QEMU, "agent" or "acpi".
      const via = action === 'shutdown' || action === 'reboot' ? { Via: 'driver' } : {};
      expect(res.json).toEqual({ Message: `Action ${action} done for machine db-1`, ...via });
    }
    const detail = await api(`/api/machines/DEMO/${DB1_ID}/`);
    expect(detail.json!.Machine.State).toBe('running');
  });

  it("refuses an action the machine's state does not allow with 400 and the reason", async () => {
    const res = await api(`/api/machines/DEMO/${WEB1_ID}/resume/`, { method: 'POST' });
    expect(res.status).toBe(400);
    expect(res.json!.Error).toMatch(/^cannot resume machine web-1: it is running; allowed now: /);
  });

  it('answers other methods with 501 and unknown actions with 404', async () => {
    const get = await api(`/api/machines/DEMO/${WEB1_ID}/stop/`);
    expect(get.status).toBe(501);
    expect(get.json).toEqual({ Error: 'Not implemented' });
    const unknown = await api(`/api/machines/DEMO/${WEB1_ID}/explode/`, { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({
      Error: "unknown action 'explode'; the actions are start, stop, shutdown, reboot, pause, resume",
    });
  });

  it('answers 404 for unknown machines and 503 on the unavailable provider', async () => {
    expect((await api('/api/machines/DEMO/0123456789abcdef0123456789abcdef/stop/', { method: 'POST' })).status).toBe(404);
    const gone = await api(`/api/machines/GONE/${WEB1_ID}/stop/`, { method: 'POST' });
    expect(gone.status).toBe(503);
    expect(gone.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describe('GET /api/images/', () => {
  it("lists images per provider in 0.6's shape, flagging the unavailable provider", async () => {
    const res = await api('/api/images/');
    expect(res.status).toBe(200);
    expectApiContentType(res.headers);
    expect(Object.keys(res.json!)).toEqual(['Images', 'Providers', 'Title']);
    expect(res.json!.Title).toBe('Images');
    const demo = res.json!.Images.DEMO as Record<string, unknown>[];
    expect(demo.map((i) => i.Id).sort()).toEqual([
      'Cirros-0.6_amd64_raw.img',
      'Debian-12_amd64_qcow2.img',
      'Ubuntu-24.04_amd64_qcow2.img',
    ]);
    const debian = demo.find((i) => i.Id === 'Debian-12_amd64_qcow2.img')!;
    expect(Object.keys(debian)).toEqual(['Id', 'OS', 'Arch', 'Size', 'Type', 'Date', 'PoolName']);
    expect(debian).toMatchObject({ OS: 'Debian-12', Arch: 'x86_64', Type: 2, PoolName: 'vmango-images' });
    expect(demo.find((i) => i.Id === 'Cirros-0.6_amd64_raw.img')!.Type).toBe(1);
    expect(res.json!.Images.GONE).toEqual([]);
    expect(res.json!.Providers.GONE.State).toBe('unavailable');
  });

  it('answers HEAD, and 501 for other methods', async () => {
    expect((await api('/api/images/', { method: 'HEAD' })).status).toBe(200);
    for (const method of ['POST', 'PUT', 'DELETE'])
      expect((await api('/api/images/', { method })).json).toEqual({ Error: 'Not implemented' });
  });
});

describe('the lists 0.6 had no API for', () => {
  it('GET /api/providers/ summarises each provider', async () => {
    const res = await api('/api/providers/');
    expect(res.status).toBe(200);
    expect(Object.keys(res.json!)).toEqual(['Providers', 'Title']);
    const [demo, gone] = res.json!.Providers;
    expect(Object.keys(demo)).toEqual([
      'Name',
      'Type',
      'Description',
      'Connection',
      'State',
      'Error',
      'Since',
      'Hostname',
      'LibvirtVersion',
      'HypervisorVersion',
      'MachineCount',
      'Memory',
      'Storage',
    ]);
    expect(demo).toMatchObject({ Name: 'DEMO', Type: 'libvirt', State: 'connected', Error: '', MachineCount: 3 });
    expect(demo.Connection).toMatch(/^test:\/\/\/.*demo\/hypervisor\.xml$/);
    expect(Object.keys(demo.Storage)).toEqual(['Total', 'Used', 'Usage']);
    expect(demo.Storage.Total).toBeGreaterThan(0);
    expect(demo.Storage.Usage).toBe(Math.floor((demo.Storage.Used / demo.Storage.Total) * 100));
    expect(gone).toMatchObject({ Name: 'GONE', State: 'unavailable', Memory: null, Storage: null });
    expect(gone.Error).toMatch(/missing\.xml/);
  });

  it("GET /api/plans/ lists plans (by name, as the config holds them) with bytes and 0.6's units", async () => {
    const res = await api('/api/plans/');
    expect(res.json).toEqual({
      Plans: [
        { Name: 'large', Memory: 2147483648, Cpus: 4, DiskSize: 21474836480, MemoryMegabytes: 2048, DiskSizeGigabytes: 20 },
        { Name: 'small', Memory: 536870912, Cpus: 1, DiskSize: 5368709120, MemoryMegabytes: 512, DiskSizeGigabytes: 5 },
      ],
      Title: 'Plans',
    });
  });

  it('GET /api/keys/ lists SSH keys with their ssh-keygen SHA256 fingerprint', async () => {
    const res = await api('/api/keys/');
    expect(res.json!.Title).toBe('SSH keys');
    // ssh-keygen -lf on this key prints SHA256:6GANrmxjDMJ+4T9dbZ/8W9hvxVpVwv7bWvQH8CgTHuw.
    expect(res.json!.SSHKeys).toEqual([
      {
        Name: 'test',
        Public: expect.stringMatching(/^ssh-ed25519 /),
        Fingerprint: 'SHA256:6GANrmxjDMJ+4T9dbZ/8W9hvxVpVwv7bWvQH8CgTHuw',
      },
    ]);
  });

  it('answers 501 for methods other than GET/HEAD', async () => {
    for (const path of ['/api/providers/', '/api/plans/', '/api/keys/']) {
      expect((await api(path, { method: 'POST' })).status).toBe(501);
      expect((await api(path, { method: 'HEAD' })).status).toBe(200);
    }
  });
});

describe('POST /api/machines/', () => {
  const create = (body: string, type = FORM, who = authHeaders()) =>
    api('/api/machines/', { method: 'POST', headers: { ...who, 'Content-Type': type }, body });

  it("takes 0.6's form and reaches the hypervisor (whose test driver cannot clone: 501 with the reason)", async () => {
    const res = await create('Name=testapi&Plan=small&Image=Debian-12_amd64_qcow2.img&SSHKey=test&Provider=DEMO&Userdata=hello');
    expect(res.status).toBe(501);
    expect(res.json!.Error).toMatch(/^provider 'DEMO' uses libvirt's test driver, which cannot clone/);
  });

  it('takes a JSON body the same way', async () => {
    const res = await create(
      JSON.stringify({
        Name: 'jsonvm',
        Plan: 'small',
        Image: 'Debian-12_amd64_qcow2.img',
        Provider: 'DEMO',
        SSHKeys: ['test'],
        Userdata: '#!/bin/sh\n',
      }),
      'application/json',
    );
    expect(res.status).toBe(501);
  });

  it('lists every missing field', async () => {
    const res = await create('Userdata=x');
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ Error: 'name required, plan required, image required, provider required' });
  });

  it('refuses unknown form fields, naming the allowed ones', async () => {
    const res = await create('Name=a&Hypervisor=DEMO');
    expect(res.status).toBe(400);
    expect(res.json!.Error).toBe(
      'unknown form field "Hypervisor"; the fields are Name, Plan, Image, Provider, Userdata, SSHKey (repeatable)',
    );
  });

  it("answers 0.6's 400s for unknown plans, images and keys (the image message names the provider plainly)", async () => {
    const base = 'Name=vm1&Provider=DEMO';
    expect((await create(`${base}&Plan=huge&Image=Debian-12_amd64_qcow2.img`)).json).toEqual({ Error: 'plan "huge" not found' });
    expect((await create(`${base}&Plan=small&Image=Nope_amd64_raw.img`)).json).toEqual({
      Error: 'image "Nope_amd64_raw.img" not found on provider "DEMO"',
    });
    expect((await create(`${base}&Plan=small&Image=Debian-12_amd64_qcow2.img&SSHKey=ghost`)).json).toEqual({
      Error: "ssh key 'ghost' doesn't exist",
    });
  });

  it('refuses a name that is not a hostname label with 400 naming the rule (0.6 gave a libvirt XML error)', async () => {
    const res = await create(
      `Name=${encodeURIComponent('bad name!<x>')}&Plan=small&Image=Debian-12_amd64_qcow2.img&Provider=DEMO`,
    );
    expect(res.status).toBe(400);
    expect(res.json!.Error).toMatch(/^machine name contains " " at position 4; it must be a hostname label: /);
  });

  it('answers 409 for a name that exists (0.6 gave 500)', async () => {
    const res = await create('Name=web-1&Plan=small&Image=Debian-12_amd64_qcow2.img&Provider=DEMO');
    expect(res.status).toBe(409);
    expect(res.json!.Error).toMatch(/^machine with name 'web-1' already exists on provider 'DEMO'/);
  });

  it('answers 404 for an unknown provider and 503 for the unavailable one', async () => {
    const unknown = await create('Name=vm1&Plan=small&Image=x&Provider=NOPE');
    expect(unknown.status).toBe(404);
    const gone = await create('Name=vm1&Plan=small&Image=x&Provider=GONE');
    expect(gone.status).toBe(503);
    expect(gone.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('answers 413 for a body over 256 KiB and 415 for other content types', async () => {
    const big = await create(`Name=a&Userdata=${'x'.repeat(300 * 1024)}`);
    expect(big.status).toBe(413);
    expect(big.json!.Error).toMatch(/larger than 256 KiB/);
    const text = await create('Name=a', 'text/plain');
    expect(text.status).toBe(415);
  });

  it('reads credentials before the body: an unauthenticated create is 401 whatever it sends', async () => {
    const res = await fetch(`${panel.base}/api/machines/`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: 'x',
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ Error: 'Authentication failed' });
    const other = await create('Name=a', FORM, authHeaders({ user: ALICE.user, password: 'wrong' }));
    expect(other.status).toBe(401);
  });
});

describe('DELETE /api/machines/{provider}/{id}/', () => {
  it('answers 204 without a body, after which the machine is gone', async () => {
    const res = await rawRequest(`${panel.base}/api/machines/DEMO/${LEGACY_ID}/`, { method: 'DELETE', headers: authHeaders() });
    expect(res.status).toBe(204);
    expect(res.body).toBe('');
    expect((await api(`/api/machines/DEMO/${LEGACY_ID}/`)).status).toBe(404);
    expect((await api(`/api/machines/DEMO/${LEGACY_ID}/`, { method: 'DELETE' })).status).toBe(404);
  });

  it('answers 503 on the unavailable provider', async () => {
    expect((await api(`/api/machines/GONE/${WEB1_ID}/`, { method: 'DELETE' })).status).toBe(503);
  });
});
