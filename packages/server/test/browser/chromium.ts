/** Shared set-up of the browser tests: Debian's Chromium via playwright-core, CSP-violation capture, screenshots. */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ARGS, CHROMIUM } from '../../../tessera/test/browser/chromium.ts';

// Where Chromium is, how it starts, and the loud skip (or CI failure) when it is missing: the
// core's browser-test helper, shared.
export { available, CHROMIUM, requireChromium } from '../../../tessera/test/browser/chromium.ts';

/** Where screenshots go (git-ignored). */
export const SHOTS = resolve(import.meta.dirname, '../../../../test-artifacts/screenshots');

/** Launches Chromium. */
export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

/** Everything a page reported that a strict CSP or a script error would cause. */
export interface Problems {
  csp: string[];
  errors: string[];
  dialogs: string[];
}

/** Collects CSP violations, script errors and dialogs (an XSS `alert`) from every page of a context. */
export function watch(context: BrowserContext): Problems {
  const p: Problems = { csp: [], errors: [], dialogs: [] };
  const attach = (page: Page) => {
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to (load|execute|apply|frame)/i.test(m.text()))
        p.csp.push(m.text());
    });
    page.on('pageerror', (e) => p.errors.push(e.message));
    page.on('dialog', (d) => {
      p.dialogs.push(d.message());
      void d.dismiss();
    });
  };
  for (const page of context.pages()) attach(page);
  context.on('page', attach);
  return p;
}

/** Saves a full-page screenshot under test-artifacts/screenshots. */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: resolve(SHOTS, `${name}.png`), fullPage: true });
}

/** Fails when any label-less visible form control is on the page. */
export async function assertLabelled(page: Page): Promise<void> {
  const unlabelled = await page.$$eval('input:not([type=hidden]), select, textarea, button', (els) =>
    els
      .filter((el) => {
        const e = el as HTMLInputElement;
        if (e.tagName === 'BUTTON')
          return (e.textContent ?? '').trim() === '' && !e.getAttribute('aria-label');
        return (e.labels?.length ?? 0) === 0 && !e.getAttribute('aria-label');
      })
      .map((el) => el.outerHTML),
  );
  assert.deepEqual(unlabelled, [], `controls without a label on ${page.url()}`);
}
