/** Shared by the browser tests: Debian's chromium through playwright-core, and page screenshots. */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
/** Where the test run keeps its artifacts (git-ignored). */
export const SHOTS = join(REPO, 'test-artifacts', 'screenshots');

export async function launchChromium(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A screenshot at 1280 and at 375 px wide, as SHOTS/<name>-<width>.png; leaves the page at 1280 px.
 * The whole page unless `fullPage` is false (for a page whose length depends on what others put on
 * a shared hypervisor, such as an unfiltered machine list).
 */
export async function shoot(target: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  for (const width of [1280, 375]) {
    await target.setViewportSize({ width, height: width === 375 ? 812 : 900 });
    await target.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: options.fullPage ?? true });
  }
  await target.setViewportSize({ width: 1280, height: 900 });
}
