/**
 * Two panel replicas behind a real load balancer (HAProxy from Debian, round robin) on one
 * harness hypervisor, sharing their config and state_dir: a browser session made through one works
 * on the other and ends on both at logout; 50 concurrent creates of one name spread over both give
 * exactly one 201; 50 creates of different names give 50 distinct addresses; an action through one
 * appears live on a page served by the other; a console ticket issued by one opens the console on
 * the other, and once used there it is refused on the first.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../server/services/auth/password-hash.js';
import type { Connection } from '../../../server/libvirt/index.js';
import { connectConsole } from '../../helpers/console-client.js';
import { requireHarness } from '../../helpers/harness.js';
import { startEchoGuest } from '../../libvirt/echo-guest.js';
import { spawnPanelProcess, waitUntil, type PanelProcess } from '../../helpers/panel-process.js';
import { PageClient } from '../../http/pages/pages-fixture.js';
import {
  cleanupPrefix,
  defineNetwork,
  harnessTemplates,
  leftovers,
  rawConnection,
  removeNetwork,
} from '../../services/machines/harness-fixture.js';

const { env, skipReason } = requireHarness();
const HAPROXY = '/usr/sbin/haproxy';
const haveHaproxy = spawnSync(HAPROXY, ['-v']).status === 0;
if (!haveHaproxy) console.warn(`skipping the replica tests: ${HAPROXY} is missing (apt-get install haproxy)`);

const PREFIX = `rpl${process.pid % 100000}`;
const NET = `${PREFIX}-net`;
const SUBNET = 204 * 256 + (process.pid % 200);
const USER = { user: 'ops', password: 'replica-test-password' };
const AUTH = { 'X-Vmango-User': USER.user, 'X-Vmango-Pass': USER.password };
const IMAGE = 'Cirros-0.6_amd64_qcow2.img';
const base = 30_000 + (process.pid % 1000) * 3;
const PORTS = { lb: base, a: base + 1, b: base + 2 };

describe.skipIf(skipReason !== undefined || !haveHaproxy)('two replicas behind HAProxy on the harness hypervisor', () => {
  const harness = env!;
  let dir: string;
  let replicas: PanelProcess[] = [];
  let haproxy: ChildProcess | undefined;
  let conn: Connection;
  const lb = `http://127.0.0.1:${PORTS.lb}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vmango-replicas-'));
    const templates = harnessTemplates(harness);
    // 50 machines at once: a range with room for all of them.
    await defineNetwork(harness, templates.dir, NET, `vbr${process.pid % 100000}`, SUBNET, [10, 200]);
    conn = await rawConnection(harness);
    const hash = hashPassword(USER.password);
    const config = (port: number) => `
listen = "127.0.0.1:${port}"
session_secret = "replica-test-secret-0123456789abcdefghij"
trusted_proxies = ["127.0.0.1"]
state_dir = "${join(dir, 'state')}"
hypervisor "H" {
  url = "${harness.uri}"
  image_storage_pool = "${harness.imagePool}"
  root_storage_pool = "${harness.rootPool}"
  network = "${NET}"
  vm_template = "${templates.vm}"
  volume_template = "${templates.volume}"
}
plan "tiny" {
  memory = 32
  cpus = 1
  disk_size = 1
}
user "${USER.user}" {
  password = "${hash}"
}
`;
    replicas = [spawnPanelProcess(dir, 'a', config(PORTS.a), PORTS.a), spawnPanelProcess(dir, 'b', config(PORTS.b), PORTS.b)];
    writeFileSync(
      join(dir, 'haproxy.cfg'),
      `global
  maxconn 2000
defaults
  mode http
  timeout connect 5s
  timeout client 120s
  timeout server 120s
frontend panel
  bind 127.0.0.1:${PORTS.lb}
  option forwardfor
  default_backend replicas
backend replicas
  balance roundrobin
  server a 127.0.0.1:${PORTS.a}
  server b 127.0.0.1:${PORTS.b}
`,
    );
    haproxy = spawn(HAPROXY, ['-db', '-f', join(dir, 'haproxy.cfg')], { stdio: 'ignore' });
    for (const replica of replicas) {
      await waitUntil(
        async () =>
          fetch(`${replica.base}/healthz`, { headers: AUTH })
            .then(
              async (r) => ((await r.json()) as { hypervisors?: { state: string }[] }).hypervisors?.[0]?.state === 'connected',
            )
            .catch(() => false),
        60_000,
        `replica ${replica.base} connected`,
      );
    }
    await waitUntil(
      () =>
        fetch(`${lb}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      10_000,
      'HAProxy listening',
    );
  }, 120_000);

  afterAll(async () => {
    haproxy?.kill('SIGTERM');
    await Promise.all(replicas.map((r) => r.stop()));
    if (conn) {
      await cleanupPrefix(conn, harness, PREFIX);
      await conn.close();
    }
    await removeNetwork(harness, NET);
  }, 180_000);

  const which = async (res: Response) => res.headers.get('x-served-by');

  it('a browser session made through one replica works on the other, and ends on both at logout', async () => {
    const client = new PageClient(lb);
    expect((await client.login(USER.user, USER.password)).status).toBe(303);
    for (const replica of replicas) {
      const direct = await fetch(`${replica.base}/machines/`, { headers: { Cookie: client.cookieHeader() }, redirect: 'manual' });
      expect(direct.status, replica.base).toBe(200);
    }
    const saved = client.cookieHeader();
    const logoutOn = replicas[0]!;
    const page = new PageClient(logoutOn.base);
    for (const pair of saved.split('; ')) page.setCookie(pair);
    const csrf = await page.csrfFrom('/');
    expect((await page.post('/logout/', { csrf })).status).toBe(303);
    // The other replica reads ended sessions every 2 s.
    await new Promise((r) => setTimeout(r, 2_500));
    for (const replica of replicas) {
      const after = await fetch(`${replica.base}/machines/`, { headers: { Cookie: saved }, redirect: 'manual' });
      expect(after.status, replica.base).toBe(302);
    }
    void which;
  });

  it('50 concurrent creates of one name spread over both replicas: exactly one 201', async () => {
    const name = `${PREFIX}-one`;
    const statuses = await Promise.all(
      Array.from({ length: 50 }, () =>
        fetch(`${lb}/api/machines/`, {
          method: 'POST',
          headers: { ...AUTH, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ Name: name, Plan: 'tiny', Image: IMAGE, Provider: 'H' }).toString(),
        }).then((r) => r.status),
      ),
    );
    const counts = Object.fromEntries([...new Set(statuses)].map((s) => [s, statuses.filter((x) => x === s).length]));
    console.log(`50 creates of one name: ${JSON.stringify(counts)}`);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    const left = await leftovers(conn, harness, NET, name);
    expect(left.sort()).toEqual(
      [`DHCP host ${name}`, `domain ${name}`, `volume ${name}_config.iso`, `volume ${name}_disk`].sort(),
    );
  }, 120_000);

  it('50 creates of different names spread over both replicas: 50 distinct addresses', async () => {
    const names = Array.from({ length: 50 }, (_, i) => `${PREFIX}-m${i}`);
    const answers = await Promise.all(
      names.map((name) =>
        fetch(`${lb}/api/machines/`, {
          method: 'POST',
          headers: { ...AUTH, 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ Name: name, Plan: 'tiny', Image: IMAGE, Provider: 'H' }).toString(),
        }).then(async (r) => ({ status: r.status, location: r.headers.get('location'), body: await r.text() })),
      ),
    );
    const failed = answers.filter((a) => a.status !== 201);
    expect(failed, JSON.stringify(failed.slice(0, 3))).toEqual([]);
    const xml = await (await conn.lookupNetworkByName(NET)).getXmlDesc();
    const reserved = names.map((name) => new RegExp(`name='${name}' ip='([0-9.]+)'`).exec(xml)?.[1]);
    expect(reserved.every((ip) => ip !== undefined)).toBe(true);
    expect(new Set(reserved).size).toBe(50);
    for (const answer of answers) {
      const res = await fetch(`${lb}${answer.location}`, { method: 'DELETE', headers: AUTH });
      expect(res.status).toBe(204);
    }
  }, 600_000);

  it('an action through one replica appears live on a page served by the other', async () => {
    const name = `${PREFIX}-one`;
    const list = (await (await fetch(`${replicas[0]!.base}/api/machines/?q=${name}`, { headers: AUTH })).json()) as {
      Machines: { H: { Id: string; Name: string }[] };
    };
    const id = list.Machines.H.find((m) => m.Name === name)!.Id;
    const client = new PageClient(replicas[1]!.base);
    await client.login(USER.user, USER.password);
    const controller = new AbortController();
    const stream = await fetch(`${replicas[1]!.base}/events/`, {
      headers: { Cookie: client.cookieHeader() },
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    let received = '';
    const seen = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>) {
        received += decoder.decode(chunk, { stream: true });
        if (received.includes('"state":"stopped"') && received.includes(id)) return true;
      }
      return false;
    })().catch(() => false);
    const stop = await fetch(`${replicas[0]!.base}/api/machines/H/${id}/stop/`, { method: 'POST', headers: AUTH });
    expect(stop.status).toBe(200);
    const arrived = await Promise.race([seen, new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);
    controller.abort();
    expect(arrived, received.slice(-500)).toBe(true);
  }, 60_000);
  it('a console ticket issued by one replica opens the console on the other, once', async () => {
    const guest = await startEchoGuest(conn, harness, `${PREFIX}-echo`);
    try {
      const list = (await (await fetch(`${replicas[0]!.base}/api/machines/?q=${PREFIX}-echo`, { headers: AUTH })).json()) as {
        Machines: { H: { Id: string; Name: string }[] };
      };
      const id = list.Machines.H.find((m) => m.Name === `${PREFIX}-echo`)!.Id;
      const issued = await fetch(`${replicas[0]!.base}/api/machines/H/${id}/console/`, { method: 'POST', headers: AUTH });
      expect(issued.status).toBe(201);
      const { Ticket } = (await issued.json()) as { Ticket: string };
      const on = (replica: PanelProcess) => `${replica.base.replace('http', 'ws')}/console/ws?ticket=${Ticket}`;
      const opened = await connectConsole(on(replicas[1]!), { headers: AUTH });
      if (opened.refused) throw new Error(`replica b refused replica a's ticket: ${opened.status} ${opened.body}`);
      expect(opened.first.type).toBe('ready');
      opened.send('echo through b');
      await opened.waitFor('echo through b');
      opened.ws.close();
      await opened.closed;
      const reused = await connectConsole(on(replicas[0]!), { headers: AUTH });
      expect(reused.refused && reused.status).toBe(403);
    } finally {
      await guest.cleanup();
    }
  }, 60_000);
});
