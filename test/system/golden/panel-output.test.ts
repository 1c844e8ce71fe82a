/**
 * The panel's output for one fixed libvirt state (the demo test-driver hypervisor, plus one that is
 * unavailable), byte for byte: the API's JSON and the pages' HTML. Restructuring the code must not
 * change a byte of it. Times, ports and CSRF tokens are the only parts that vary between runs; they
 * are replaced by placeholders before comparing.
 *
 * Regenerate (only when an output change is intended): UPDATE_GOLDEN=1 npx vitest run test/system/golden/
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, DB1_ID, LEGACY_ID, WEB1_ID } from '../../http/api/panel-fixture.js';
import { PageClient, startPagesPanel } from '../../http/pages/pages-fixture.js';

const GOLDEN_DIR = fileURLToPath(new URL('./outputs/', import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const REPO = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');

type Panel = Awaited<ReturnType<typeof startPagesPanel>>;
let panel: Panel;
let client: PageClient;

beforeAll(async () => {
  panel = await startPagesPanel({ withUnavailable: true });
  client = new PageClient(panel.base);
  await client.login('admin', 'secret');
});
afterAll(async () => {
  await panel?.close();
});

/** Replaces what differs between runs of the same state: instants, ages, ports, tokens, temp paths. */
function normalize(text: string): string {
  return text
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)/g, '<TIME>')
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/g, '<TIME>')
    .replace(/\b\d+ (?:s|min|h|days) ago\b/g, '<AGE>')
    .replace(/(<td data-label="Duration" class="num">)[^<]*/g, '$1<DURATION>')
    .replace(/name="csrf" value="[^"]*"/g, 'name="csrf" value="<CSRF>"')
    .replace(/(<meta name="csrf-token" content=")[^"]*"/g, '$1<CSRF>"')
    .replace(/127\.0\.0\.1:\d{4,5}/g, '127.0.0.1:<PORT>')
    .replace(/\/tmp\/vmango-api-[A-Za-z0-9]+\//g, '/tmp/<TMP>/')
    .replaceAll(REPO, '<REPO>');
}

function check(name: string, status: number, contentType: string | null, body: string): void {
  const text = `${status} ${contentType ?? ''}\n${normalize(body)}`;
  const file = `${GOLDEN_DIR}${name}`;
  if (UPDATE || !existsSync(file)) {
    if (!UPDATE) throw new Error(`no golden output ${file}; run with UPDATE_GOLDEN=1 to write it`);
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, text);
    return;
  }
  expect(text).toBe(readFileSync(file, 'utf8'));
}

async function api(name: string, path: string, init: RequestInit = {}, withAuth = true): Promise<void> {
  const headers = { ...(withAuth ? authHeaders() : {}), ...(init.headers as Record<string, string> | undefined) };
  const res = await fetch(panel.base + path, { ...init, headers });
  check(name, res.status, res.headers.get('content-type'), await res.text());
}

async function page(name: string, path: string): Promise<void> {
  const res = await client.get(path);
  check(name, res.status, res.headers.get('content-type'), await res.text());
}

describe('API JSON for one libvirt state', () => {
  it('lists', async () => {
    await api('api-machines.json', '/api/machines/');
    await api('api-machines-running.json', '/api/machines/?state=running&provider=DEMO');
    await api('api-images.json', '/api/images/');
    await api('api-providers.json', '/api/providers/');
    await api('api-plans.json', '/api/plans/');
    await api('api-keys.json', '/api/keys/');
  });

  it('details', async () => {
    await api('api-machine-web1.json', `/api/machines/DEMO/${WEB1_ID}/`);
    await api('api-machine-db1.json', `/api/machines/DEMO/${DB1_ID}/`);
    await api('api-machine-legacy.json', `/api/machines/DEMO/${LEGACY_ID}/`);
  });

  it('errors', async () => {
    await api('api-error-401.json', '/api/machines/', {}, false);
    await api('api-error-404-machine.json', '/api/machines/DEMO/00000000000000000000000000000000/');
    await api('api-error-404-id.json', '/api/machines/DEMO/not-an-id/');
    await api('api-error-404-provider.json', `/api/machines/NOPE/${WEB1_ID}/`);
    await api('api-error-404-action.json', `/api/machines/DEMO/${WEB1_ID}/explode/`, { method: 'POST' });
    await api('api-error-503.json', `/api/machines/GONE/${WEB1_ID}/`);
    await api('api-error-400-state.json', '/api/machines/?state=sleeping');
    await api('api-error-400-action.json', `/api/machines/DEMO/${LEGACY_ID}/resume/`, { method: 'POST' });
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    await api('api-error-400-missing.json', '/api/machines/', { method: 'POST', headers: form, body: 'Name=x' });
    await api('api-error-400-name.json', '/api/machines/', {
      method: 'POST',
      headers: form,
      body: 'Name=Bad%20Name&Plan=small&Image=Debian-12_amd64_qcow2.img&Provider=DEMO',
    });
    await api('api-error-400-plan.json', '/api/machines/', {
      method: 'POST',
      headers: form,
      body: 'Name=ok&Plan=huge&Image=Debian-12_amd64_qcow2.img&Provider=DEMO',
    });
    await api('api-error-501-create.json', '/api/machines/', {
      method: 'POST',
      headers: form,
      body: 'Name=ok&Plan=small&Image=Debian-12_amd64_qcow2.img&Provider=DEMO',
    });
    await api('api-error-501-method.json', '/api/images/', { method: 'PUT' });
  });
});

describe('pages for one libvirt state', () => {
  it('renders every page', async () => {
    await page('page-providers.html', '/');
    await page('page-machines.html', '/machines/');
    await page('page-machines-sorted.html', '/machines/?sort=memory&dir=desc&q=web');
    await page('page-machine-web1.html', `/machines/DEMO/${WEB1_ID}/`);
    await page('page-machine-legacy.html', `/machines/DEMO/${LEGACY_ID}/`);
    await page('page-images.html', '/images/');
    await page('page-plans.html', '/plans/');
    await page('page-keys.html', '/keys/');
    await page('page-add.html', '/machines/add/');
    await page('page-confirm-stop.html', `/machines/DEMO/${WEB1_ID}/stop/`);
    await page('page-confirm-delete.html', `/machines/DEMO/${DB1_ID}/delete/`);
    await page('page-404.html', '/no/such/page/');
    await page('page-503.html', `/machines/GONE/${WEB1_ID}/`);
  });

  it("renders the wizard's refusals", async () => {
    const csrf = await client.csrfFrom('/machines/add/');
    const post = async (name: string, fields: [string, string][]) => {
      const res = await client.post('/machines/add/', [['csrf', csrf], ...fields]);
      check(name, res.status, res.headers.get('content-type'), await res.text());
    };
    await post('page-add-bad-name.html', [
      ['Provider', 'DEMO'],
      ['Image', 'Debian-12_amd64_qcow2.img'],
      ['Plan', 'small'],
      ['SSHKey', 'test'],
      ['Name', 'Bad Name!'],
      ['Userdata', '#cloud-config'],
    ]);
    await post('page-add-missing.html', [
      ['Provider', 'DEMO'],
      ['Name', 'ok-name'],
    ]);
    await post('page-add-bad-plan.html', [
      ['Provider', 'DEMO'],
      ['Image', 'Debian-12_amd64_qcow2.img'],
      ['Plan', 'huge'],
      ['Name', 'ok'],
    ]);
    await post('page-add-bad-key.html', [
      ['Provider', 'DEMO'],
      ['Image', 'Debian-12_amd64_qcow2.img'],
      ['Plan', 'small'],
      ['SSHKey', 'nope'],
      ['Name', 'ok'],
    ]);
    await post('page-add-unsupported.html', [
      ['Provider', 'DEMO'],
      ['Image', 'Debian-12_amd64_qcow2.img'],
      ['Plan', 'small'],
      ['Name', 'ok'],
    ]);
  });
});
