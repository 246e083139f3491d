/**
 * Debian's Chromium for the browser tests: where it is, how it is started, and what happens when
 * it is missing (skipped loudly locally, a failing test under CI=true).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';

export const CHROMIUM = '/usr/bin/chromium';

/** Headless, no sandbox (root), and none of the background traffic a closed network refuses. */
export const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

export const available = existsSync(CHROMIUM);

/** Warns loudly when Chromium is missing, and fails under CI=true (else skips the browser tests of `what`). */
export function requireChromium(what: string): void {
  if (available) return;
  const ci = process.env.CI === 'true';
  console.warn(
    `\n!!!!!!!!\n!!! ${CHROMIUM} is missing: the browser tests of ${what} ${ci ? 'FAIL (CI=true)' : 'are SKIPPED'}.\n` +
      '!!! Install it with: apt-get update && apt-get install -y chromium\n!!!!!!!!\n',
  );
  if (ci) {
    test('Chromium is installed (required in CI)', () => {
      assert.fail(`${CHROMIUM} is missing; CI must install Chromium (apt-get install -y chromium).`);
    });
  } else {
    test(`${what} in Chromium`, { skip: `${CHROMIUM} is not installed` }, () => {});
  }
}
