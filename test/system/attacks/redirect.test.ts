/**
 * Attack (issue 12): an open redirect after login. A logged-in user following
 * `/login/?next=/.//evil.example/` was sent to `//evil.example/` (another site): safeNextPath
 * checked the raw string but returned the normalised path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeNextPath } from '../../../server/http/session/safe-next.js';
import { ADMIN, PageClient, startPagesPanel } from '../../http/pages/pages-fixture.js';

const VARIANTS = [
  '/.//evil.example/',
  '/%2e//evil.example',
  '/..//evil.example',
  '/a/..//evil.example',
  '/a/b/../..//evil.example',
  '/./\\evil.example',
];

describe('open redirect through next=', () => {
  let panel: Awaited<ReturnType<typeof startPagesPanel>>;
  beforeAll(async () => {
    panel = await startPagesPanel();
  });
  afterAll(async () => {
    await panel?.close();
  });

  it.each(VARIANTS)('never leaves the site for next=%j', async (next) => {
    expect(safeNextPath(next)).toBe('/');
    const client = new PageClient(panel.base);
    expect((await client.login(ADMIN.user, ADMIN.password)).status).toBe(303);
    const res = await client.get(`/login/?next=${encodeURIComponent(next)}`);
    expect(res.status).toBe(302);
    const location = res.headers.get('location')!;
    expect(new URL(location, panel.base).origin).toBe(new URL(panel.base).origin);
    expect(location.startsWith('//')).toBe(false);
    const login = await new PageClient(panel.base).login(ADMIN.user, ADMIN.password, next);
    expect(new URL(login.headers.get('location')!, panel.base).origin).toBe(new URL(panel.base).origin);
  });

  it('still brings the user back to a normalised local path', () => {
    expect(safeNextPath('/a/../machines/?q=1')).toBe('/machines/?q=1');
  });
});
