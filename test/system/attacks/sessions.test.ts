/**
 * Attacks (issue 12) on dashboard sessions, which had no way to end:
 * - a cookie saved before logout still opened /machines/ after logout (200), and after a restart;
 * - a password change in the config did not end that user's sessions;
 * - a cookie used now and then never expired (only an idle timeout of 7 days, moved by every use).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../server/services/auth/password-hash.js';
import { apiTestConfig } from '../../http/api/panel-fixture.js';
import { ADMIN, PageClient, startPagesPanel } from '../../http/pages/pages-fixture.js';

type Panel = Awaited<ReturnType<typeof startPagesPanel>>;
const panels: Panel[] = [];
afterEach(async () => {
  await Promise.all(panels.splice(0).map((p) => p.close()));
});

async function panelWith(edit: (config: ReturnType<typeof apiTestConfig>) => void = () => undefined): Promise<Panel> {
  const config = apiTestConfig();
  edit(config);
  const panel = await startPagesPanel({ config });
  panels.push(panel);
  return panel;
}

/** A second client carrying the same cookies, as an attacker who copied them would. */
function copyOf(client: PageClient, base: string): PageClient {
  const copy = new PageClient(base);
  for (const pair of client.cookieHeader().split('; ')) copy.setCookie(pair);
  return copy;
}

describe('ending sessions', () => {
  it('a cookie saved before logout is refused afterwards, and after a restart', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'vmango-state-'));
    const panel = await panelWith((c) => (c.stateDir = stateDir));
    const client = new PageClient(panel.base);
    await client.login(ADMIN.user, ADMIN.password);
    const saved = copyOf(client, panel.base);
    expect((await saved.get('/machines/')).status).toBe(200);
    const csrf = await client.csrfFrom('/');
    expect((await client.post('/logout/', { csrf })).status).toBe(303);
    expect((await saved.get('/machines/')).status).toBe(302);
    // The same state directory after a restart (another process would read it the same way).
    const again = await panelWith((c) => (c.stateDir = stateDir));
    expect((await copyOf(saved, again.base).get('/machines/')).status).toBe(302);
  });

  it("every session of a user ends when the user's password hash changes in the config", async () => {
    const panel = await panelWith();
    const client = new PageClient(panel.base);
    await client.login(ADMIN.user, ADMIN.password);
    expect((await client.get('/machines/')).status).toBe(200);
    const admin = panel.config.users.find((u) => u.name === ADMIN.user)!;
    admin.passwordHash = hashPassword('a-new-password');
    expect((await client.get('/machines/')).status).toBe(302);
  });

  it('a session ends at its lifetime however active it is, and after the idle timeout', async () => {
    const panel = await panelWith((c) => {
      c.sessionLifetimeMs = 3_000;
      c.sessionIdleTimeoutMs = 3_000;
    });
    const client = new PageClient(panel.base);
    await client.login(ADMIN.user, ADMIN.password);
    for (let i = 0; i < 4; i++) {
      expect((await client.get('/machines/')).status).toBe(200);
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 1_200));
    expect((await client.get('/machines/')).status).toBe(302);
  });
});
