import { afterEach, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../helpers/loggers.js';
import {
  ConnectionManager,
  HypervisorUnavailableError,
  UnknownHypervisorError,
  type HypervisorEndpoint,
} from '../../server/hypervisors/connection-manager.js';
import type { ProviderStatus as HypervisorStatus } from '../../server/core/provider.js';
import type { Connection } from '../../server/libvirt/index.js';
import { openLibvirt } from './open.js';

const demoFixture = fileURLToPath(new URL('../../demo/hypervisor.xml', import.meta.url));
const silent = silentLogger();

function endpoint(name: string, url: string): HypervisorEndpoint {
  return { name, url, keepaliveInterval: 5, keepaliveCount: 3, callTimeoutMs: 5_000, longCallTimeoutMs: 60_000 };
}

const managers: ConnectionManager<Connection>[] = [];
function manager(endpoints: HypervisorEndpoint[], options: { probeIntervalMs?: number } = {}) {
  const m = new ConnectionManager<Connection>(endpoints, {
    open: openLibvirt,
    logger: silent,
    backoffInitialMs: 50,
    backoffMaxMs: 200,
    ...options,
  });
  managers.push(m);
  return m;
}
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
});

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ConnectionManager on libvirt (test driver)', () => {
  it('connects every hypervisor in the background and reports it connected', async () => {
    const m = manager([endpoint('demo', `test://${demoFixture}`)]);
    expect(m.status('demo').state).toBe('connecting');
    m.start();
    await m.settled();
    const status = m.status('demo');
    expect(status).toMatchObject({ name: 'demo', state: 'connected', uri: `test://${demoFixture}` });
    expect(status.error).toBeUndefined();
    const domains = await m.get('demo').listAllDomains();
    expect(domains.map((d) => d.name).sort()).toEqual(['db-1', 'legacy-appliance', 'web-1']);
  });

  it('marks an unreachable hypervisor unavailable with the reason, without touching the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmango-cm-'));
    const m = manager([endpoint('good', `test://${demoFixture}`), endpoint('missing', `test://${join(dir, 'not-yet.xml')}`)]);
    m.start();
    await m.settled();
    expect(m.status('good').state).toBe('connected');
    const missing = m.status('missing');
    expect(missing.state).toBe('unavailable');
    expect(missing.error).toMatch(/not-yet\.xml/);
    expect(() => m.get('missing')).toThrow(HypervisorUnavailableError);
    expect(() => m.get('missing')).toThrow(/hypervisor missing is unavailable: .*not-yet\.xml.*\(since \d{4}-/);
  });

  it('keeps retrying with backoff and connects once the hypervisor appears', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmango-cm-'));
    const path = join(dir, 'later.xml');
    const m = manager([endpoint('later', `test://${path}`)]);
    const seen: HypervisorStatus[] = [];
    m.on('status', (s) => seen.push(s));
    m.start();
    await m.settled();
    expect(m.status('later').state).toBe('unavailable');
    copyFileSync(demoFixture, path);
    await until(() => m.status('later').state === 'connected');
    expect(seen.map((s) => s.state)).toEqual(['unavailable', 'connected']);
  });

  it('hides passwords and query strings in the URI it reports', () => {
    const m = manager([endpoint('remote', 'qemu+ssh://root:hunter2@hv1.example:2222/system?keyfile=/secret/id&no_verify=1')]);
    expect(m.status('remote').uri).toBe('qemu+ssh://root@hv1.example:2222/system');
  });

  it('names an unknown hypervisor as vmango 0.6 did', () => {
    const m = manager([]);
    expect(() => m.get('nope')).toThrow(UnknownHypervisorError);
    expect(() => m.get('nope')).toThrow("provider 'nope' not found");
  });

  it('replaces a connection reported as failed, and re-emits domain events from the new one', async () => {
    const m = manager([endpoint('demo', `test://${demoFixture}`)]);
    m.start();
    await m.settled();
    const first = m.get('demo');
    m.reportFailure('demo', first, 'call timed out');
    expect(m.status('demo')).toMatchObject({ state: 'unavailable', error: 'call timed out' });
    await until(() => m.status('demo').state === 'connected');
    const second = m.get('demo');
    expect(second).not.toBe(first);

    const events: { hypervisor: string; event: unknown }[] = [];
    m.on('domainEvent', (hypervisor, event) => events.push({ hypervisor, event }));
    const domain = await second.lookupDomainByName('legacy-appliance');
    await domain.destroy();
    await until(() => events.length > 0, 5_000);
    expect(events[0]).toMatchObject({ hypervisor: 'demo', event: { kind: 'lifecycle', domainName: 'legacy-appliance' } });
  });

  it('probes a connected hypervisor and stays connected while it answers', async () => {
    const m = manager([endpoint('demo', `test://${demoFixture}`)], { probeIntervalMs: 30 });
    m.start();
    await m.settled();
    await new Promise((r) => setTimeout(r, 300));
    expect(m.status('demo').state).toBe('connected');
  });
});
