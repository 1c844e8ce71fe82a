/**
 * Access and the audit log in a real browser (Debian's chromium through playwright-core) against
 * the real panel on the test-driver hypervisors: a viewer's machine page offers no power, console or
 * delete controls while an admin's does, and the Activity page lists a create made through the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { WEB1_ID, startPagesPanel } from '../../http/pages/pages-fixture.js';
import { as } from '../../http/access/access-fixture.js';
import { auditTestConfig, PASSWORD, USERS } from '../../http/audit/audit-fixture.js';
import { CHROMIUM, haveChromium, launchChromium, shoot } from './browser-helpers.js';

if (!haveChromium) console.warn(`browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

let panel: Awaited<ReturnType<typeof startPagesPanel>>;
let browser: Browser;

/** A page of a new browser context, logged in as `user`. */
async function loggedIn(user: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${panel.base}/login/`);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((url) => url.pathname !== '/login/');
  return page;
}

describe.skipIf(!haveChromium)(
  'access and activity in chromium',
  () => {
    beforeAll(async () => {
      panel = await startPagesPanel({ config: auditTestConfig().config });
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await panel?.close();
    });

    it("a viewer's machine page has no power, console or delete controls; an admin's has them", async () => {
      const viewer = await loggedIn(USERS.viewer);
      await viewer.goto(`${panel.base}/machines/DEMO/${WEB1_ID}/`);
      await expect.poll(() => viewer.locator('h1').textContent()).toContain('web-1');
      expect(await viewer.locator('[data-actions] [data-action]').count()).toBe(0);
      expect(await viewer.getByRole('link', { name: /reboot|shut down|power off/i }).count()).toBe(0);
      expect(await viewer.getByRole('link', { name: 'Delete…' }).count()).toBe(0);
      expect(await viewer.getByRole('link', { name: 'Console' }).count()).toBe(0);
      expect(await viewer.getByRole('link', { name: 'Activity' }).count()).toBe(0);
      await shoot(viewer, 'machine-viewer');

      const admin = await loggedIn(USERS.admin);
      await admin.goto(`${panel.base}/machines/DEMO/${WEB1_ID}/`);
      await expect.poll(() => admin.locator('[data-actions] [data-action]:visible').count()).toBeGreaterThan(0);
      expect(await admin.locator('[data-actions] [data-action="reboot"]').isVisible()).toBe(true);
      expect(await admin.getByRole('link', { name: 'Delete…' }).isVisible()).toBe(true);
      expect(await admin.getByRole('link', { name: 'Activity' }).isVisible()).toBe(true);
    });

    it('the Activity page lists a create made through the API, and finds it with its filter form', async () => {
      const res = await fetch(`${panel.base}/api/machines/`, {
        method: 'POST',
        headers: { ...as(USERS.admin), 'Content-Type': 'application/json' },
        body: JSON.stringify({ Name: 'from-the-api', Plan: 'small', Image: 'Debian-12_amd64_qcow2.img', Provider: 'DEMO' }),
      });
      // The test driver cannot create machines (501): the attempt is recorded as failed.
      expect(res.status).toBe(501);
      const admin = await loggedIn(USERS.admin);
      await admin.getByRole('link', { name: 'Activity' }).click();
      await admin.waitForURL(`${panel.base}/activity/`);
      const row = admin.locator('tr[data-audit-action="machine.create"]').filter({ hasText: 'from-the-api' });
      await expect.poll(() => row.count()).toBe(1);
      expect(await row.textContent()).toContain(USERS.admin);
      expect(await row.locator('.badge').textContent()).toBe('failed');
      await shoot(admin, 'activity');

      await admin.getByLabel('Action').selectOption('machine.create');
      await admin.getByRole('button', { name: 'Filter' }).click();
      await admin.waitForURL(/\/activity\/\?.*action=machine\.create/);
      expect(await admin.locator('tr[data-audit-action]').count()).toBe(1);
      expect(await admin.locator('tr[data-audit-action="machine.create"]').textContent()).toContain('from-the-api');
    });
  },
  120_000,
);
