/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core) against the real
 * panel on the demo test-driver hypervisor. Saves a screenshot of every page at 1280 and 375 px
 * wide under test-artifacts/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN, DB1_ID, LEGACY_ID, WEB1_ID, startPagesPanel } from '../../http/pages/pages-fixture.js';
import { CHROMIUM, haveChromium, launchChromium, shoot } from './browser-helpers.js';

if (!haveChromium) console.warn(`browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

let panel: Awaited<ReturnType<typeof startPagesPanel>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;

describe.skipIf(!haveChromium)(
  'dashboard in chromium',
  () => {
    beforeAll(async () => {
      panel = await startPagesPanel({ withUnavailable: true });
      browser = await launchChromium();
      context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      page = await context.newPage();
    });
    afterAll(async () => {
      await browser?.close();
      await panel?.close();
    });

    it('redirects a logged-out visitor to the login page and back after logging in', async () => {
      await page.goto(`${panel.base}/machines/?q=web`);
      expect(new URL(page.url()).pathname).toBe('/login/');
      expect(new URL(page.url()).searchParams.get('next')).toBe('/machines/?q=web');
      await shoot(page, 'login');
      await page.getByLabel('User name').fill(ADMIN.user);
      await page.getByLabel('Password').fill('wrong');
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong user name or password');
      await page.getByLabel('Password').fill(ADMIN.password);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(`${panel.base}/machines/?q=web`);
    });

    it('shows the providers, the unavailable one with its reason', async () => {
      await page.goto(`${panel.base}/`);
      const demo = page.locator('[data-provider="DEMO"]');
      await expect.poll(() => demo.locator('[data-provider-badge]').textContent()).toBe('connected');
      const gone = page.locator('[data-provider="GONE"]');
      await expect.poll(() => gone.locator('[data-provider-badge]').textContent()).toBe('unavailable');
      expect(await gone.locator('[data-provider-problem]').isVisible()).toBe(true);
      await shoot(page, 'providers');
    });

    it('renders the lists and a machine page; screenshots of each', async () => {
      for (const [name, path] of [
        ['machines', '/machines/'],
        ['images', '/images/'],
        ['plans', '/plans/'],
        ['keys', '/keys/'],
        ['machine-detail', `/machines/DEMO/${WEB1_ID}/`],
        ['machine-foreign', `/machines/DEMO/${LEGACY_ID}/`],
        ['confirm-stop', `/machines/DEMO/${WEB1_ID}/stop/`],
        ['confirm-delete', `/machines/DEMO/${DB1_ID}/delete/`],
        ['error-404', '/no/such/page/'],
        ['error-503', `/machines/GONE/${WEB1_ID}/`],
        ['logout', '/logout/'],
      ] as const) {
        await page.goto(`${panel.base}${path}`);
        expect(await page.locator('main').count(), path).toBe(1);
        await shoot(page, name);
      }
    });

    it('wizard: shows only the chosen provider images and the service message for an invalid name', async () => {
      await page.goto(`${panel.base}/machines/add/`);
      expect(await page.locator('[data-images-of="GONE"]').isVisible()).toBe(false);
      expect(await page.locator('[data-images-of="DEMO"]').isVisible()).toBe(true);
      await page.getByText('Debian 12').click();
      await page.locator('input[name="Plan"][value="small"]').check();
      await page.locator('input[name="SSHKey"][value="test"]').check();
      await page.getByLabel('Name', { exact: true }).fill('Not Valid!');
      await shoot(page, 'wizard');
      await page.getByRole('button', { name: 'Create machine' }).click();
      await page.waitForLoadState('load');
      const error = page.locator('[data-field-error="Name"]');
      expect(await error.textContent()).toMatch(/machine name contains "N" at position 1/);
      expect(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBe('true');
      expect(await page.locator('input[name="SSHKey"][value="test"]').isChecked()).toBe(true);
      await shoot(page, 'wizard-invalid');
    });

    it('wizard: a create the test driver cannot do ends in its message, shown nicely', async () => {
      await page.goto(`${panel.base}/machines/add/`);
      await page.getByText('Debian 12').click();
      await page.locator('input[name="Plan"][value="small"]').check();
      await page.getByLabel('Name', { exact: true }).fill('fresh-vm');
      await page.getByRole('button', { name: 'Create machine' }).click();
      await page.waitForLoadState('load');
      const problem = page.locator('[data-create-problem]');
      expect(await problem.textContent()).toContain('This provider cannot create machines this way.');
      await shoot(page, 'wizard-unsupported');
    });

    it('updates a machine state live when it is stopped through the service, without reloading', async () => {
      await page.goto(`${panel.base}/machines/`);
      await page.evaluate('window.notReloaded = true');
      const row = page.locator(`[data-machine="DEMO/${WEB1_ID}"]`);
      expect(await row.locator('[data-state-badge]').textContent()).toBe('running');
      await page.waitForFunction("document.body.dataset.liveState === 'open'");
      await panel.service.changeState('DEMO', WEB1_ID, 'stop');
      await expect.poll(() => row.locator('[data-state-badge]').textContent(), { timeout: 5_000 }).toBe('stopped');
      expect(await page.evaluate('window.notReloaded === true')).toBe(true);
      await panel.service.changeState('DEMO', WEB1_ID, 'start');
      await expect.poll(() => row.locator('[data-state-badge]').textContent(), { timeout: 5_000 }).toBe('running');
    });

    it('stop (confirmed), start and reboot (confirmed) through the buttons', async () => {
      await page.goto(`${panel.base}/machines/DEMO/${WEB1_ID}/`);
      await page.getByRole('link', { name: 'Power off…' }).click();
      await page.waitForURL(`${panel.base}/machines/DEMO/${WEB1_ID}/stop/`);
      expect(await page.locator('main').textContent()).toContain('like pulling the plug');
      await page.getByRole('button', { name: 'Power off' }).click();
      await page.waitForURL(`${panel.base}/machines/DEMO/${WEB1_ID}/`);
      expect(await page.locator('h1 [data-state-badge]').textContent()).toBe('stopped');
      expect((await panel.service.getMachine('DEMO', WEB1_ID)).state).toBe('stopped');
      await page.getByRole('button', { name: 'Start' }).click();
      await page.waitForLoadState('load');
      expect(await page.locator('h1 [data-state-badge]').textContent()).toBe('running');
      await page.getByRole('link', { name: 'Reboot…' }).click();
      await page.waitForURL(`${panel.base}/machines/DEMO/${WEB1_ID}/reboot/`);
      await page.getByRole('button', { name: 'Reboot' }).click();
      await page.waitForURL(`${panel.base}/machines/DEMO/${WEB1_ID}/`);
      expect((await panel.service.getMachine('DEMO', WEB1_ID)).state).toBe('running');
    });

    it('refuses a form whose CSRF token was tampered with (403 page)', async () => {
      await page.goto(`${panel.base}/machines/DEMO/${WEB1_ID}/stop/`);
      await page.locator('form.confirm-form input[name="csrf"]').evaluate((input: { value: string }) => {
        input.value = 'forged';
      });
      await page.getByRole('button', { name: 'Power off' }).click();
      await page.waitForLoadState('load');
      expect(await page.locator('.error-status').textContent()).toBe('403');
      expect((await panel.service.getMachine('DEMO', WEB1_ID)).state).toBe('running');
      await shoot(page, 'error-403');
    });

    it('deletes a machine through the confirmation page', async () => {
      await page.goto(`${panel.base}/machines/DEMO/${DB1_ID}/`);
      await page.getByRole('link', { name: 'Delete…' }).click();
      await page.getByRole('button', { name: 'Delete' }).click();
      await page.waitForURL(/\/machines\/\?deleted=db-1$/);
      expect(await page.locator(`[data-machine="DEMO/${DB1_ID}"]`).count()).toBe(0);
      await expect(panel.service.getMachine('DEMO', DB1_ID)).rejects.toMatchObject({ kind: 'not-found' });
    });

    it('logs out with the button and is sent to the login page afterwards', async () => {
      await page.goto(`${panel.base}/`);
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(`${panel.base}/login/`);
      await page.goto(`${panel.base}/images/`);
      expect(new URL(page.url()).pathname).toBe('/login/');
    });
  },
  120_000,
);
