/// <reference lib="dom" />
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { requireEnv } from '@otl/testing';

const FLAGS_FILE = resolve(__dirname, '..', '..', '..', 'tools', 'infra', 'chromium.json');

/** Debian's Chromium, headless, with the flags of tools/infra/chromium.json (shared with the bench). */
export function launchChromium(): Promise<Browser> {
  const chromiumFlags = JSON.parse(readFileSync(FLAGS_FILE, 'utf8')) as { args: string[] };
  return chromium.launch({
    executablePath: requireEnv('CHROMIUM_PATH'),
    headless: true,
    args: chromiumFlags.args,
  });
}

/** Saves a full-page screenshot under the run's artifacts folder and says where. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = join(requireEnv('TEST_ARTIFACTS_DIR'), 'screenshots');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  process.stdout.write(`screenshot: ${path}\n`);
  return path;
}

/** axe-core on the page as it is now: no serious or critical violation (the list says which, if any). */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const grave = results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({
      page: what,
      rule: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.slice(0, 3).map((node) => node.target.join(' ')),
    }));
  expect(grave).toEqual([]);
}

/** Screenshot and accessibility check of a page, the way every page of the journey is looked at. */
export async function lookAt(page: Page, name: string): Promise<void> {
  await expectAccessible(page, name);
  await screenshot(page, name);
}

/** Presses Tab until `target` has the focus (keyboard-only use), at most `limit` times. */
export async function tabTo(page: Page, target: Locator, limit = 60): Promise<void> {
  const handle = await target.elementHandle();
  if (!handle) throw new Error('nothing to tab to');
  for (let presses = 0; presses < limit; presses += 1) {
    if (await handle.evaluate((element) => element === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`the element was not reached with ${limit} presses of Tab`);
}

/**
 * Runs a page's steps; if one fails, the error also says where the page was and what it showed, and
 * a screenshot is kept, so a failure in CI can be read without running it again.
 */
export async function explained<T>(page: Page, name: string, steps: () => Promise<T>): Promise<T> {
  try {
    return await steps();
  } catch (error) {
    const shown = await page
      .evaluate(() => document.body?.innerText ?? '')
      .catch((why: unknown) => `(page text unavailable: ${String(why)})`);
    const saved = await screenshot(page, `${name}-failed`).catch(() => '(no screenshot)');
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `${message}\n--- the page at ${page.url()} showed:\n${shown.slice(0, 1500)}\n--- screenshot: ${saved}`,
    );
  }
}
