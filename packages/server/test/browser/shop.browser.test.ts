/**
 * The demo shop's story in a real browser (Debian's Chromium): browse, fill the cart anonymously,
 * log in (the cart follows), close the tab and come back, "your devices" with sign-out of another
 * device (that browser is then told why it was signed out), checkout behind a fresh password
 * check, on a desktop and a phone-sized screen — with no CSP violation, no script error, labelled
 * controls. Screenshots go to test-artifacts/screenshots.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ShiftedClock, startService, type TestService } from '../helpers.ts';
import {
  assertLabelled,
  available,
  launch,
  type Problems,
  requireChromium,
  shot,
  watch,
} from './chromium.ts';

requireChromium('the demo shop');

const PHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

describe('demo shop in Chromium', { skip: !available && 'Chromium is not installed' }, () => {
  const clock = new ShiftedClock();
  let t: TestService;
  let browser: Browser;
  let base = '';
  const contexts: Array<{ context: BrowserContext; problems: Problems }> = [];

  const open = async (options: Parameters<Browser['newContext']>[0] = {}) => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 }, ...options });
    context.setDefaultTimeout(10_000);
    const problems = watch(context);
    contexts.push({ context, problems });
    return { context, problems, page: await context.newPage() };
  };

  before(async () => {
    t = await startService({}, clock);
    base = `http://localhost:${new URL(t.url).port}`;
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
  });

  async function logIn(page: Page, user = 'alice', password = 'wonderland') {
    await page.goto(`${base}/login`);
    await page.getByLabel('Username').fill(user);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${base}/account`);
  }

  test('browse, cart, login keeps the cart, close the tab and come back', async () => {
    const { context, page } = await open();
    await page.goto(`${base}/`);
    await assertLabelled(page);
    await shot(page, 'shop-home');
    await page.getByRole('button', { name: 'Add Cobalt tile to the cart' }).click();
    await page.getByRole('button', { name: 'Add Gold leaf tile to the cart' }).click();
    await assert.doesNotReject(page.getByText('Gold leaf tile added to your cart.').waitFor());
    assert.equal(await page.getByLabel('2 items in the cart').textContent(), '2');
    await page.goto(`${base}/login`);
    await assertLabelled(page);
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password', { exact: true }).fill('wonderland');
    await shot(page, 'shop-login');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${base}/account`);
    assert.match((await page.locator('h1').textContent()) ?? '', /Hello alice/);
    await shot(page, 'shop-account');
    // The cookie is invisible to scripts.
    assert.equal(await page.evaluate(() => document.cookie), '');
    // Close the tab, come back in a new one: still signed in, cart intact.
    await page.close();
    const again = await context.newPage();
    await again.goto(`${base}/cart`);
    assert.match(
      (await again.locator('table.cart').textContent()) ?? '',
      /Cobalt tile[\s\S]*Gold leaf tile|Gold leaf tile[\s\S]*Cobalt tile/,
    );
    assert.equal(await again.getByRole('button', { name: 'Log out' }).count(), 1, 'log out is offered');
    await shot(again, 'shop-cart');
  });

  test('your devices: sign out the phone from the laptop; the phone is told why', async () => {
    const laptop = await open();
    const phone = await open({
      userAgent: PHONE_UA,
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    await logIn(phone.page, 'bob', 'builder');
    await logIn(laptop.page, 'bob', 'builder');
    await laptop.page.goto(`${base}/account/devices`);
    await assertLabelled(laptop.page);
    assert.equal(await laptop.page.locator('.device').count(), 2);
    await assert.doesNotReject(laptop.page.getByText('This device').waitFor());
    await shot(laptop.page, 'shop-devices');
    await laptop.page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await assert.doesNotReject(laptop.page.getByText('That device is signed out.').waitFor());
    assert.equal(await laptop.page.locator('.device').count(), 1);
    await phone.page.goto(`${base}/account`);
    await phone.page.waitForURL(/\/login\?/);
    await assert.doesNotReject(
      phone.page.getByText('this device was signed out from another device').waitFor(),
    );
    // Responsive: nothing wider than the phone's screen.
    const overflow = await phone.page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth,
    );
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone`);
    await shot(phone.page, 'shop-phone-signed-out');
    await phone.page.goto(`${base}/`);
    assert.ok(
      (await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 0,
    );
    await shot(phone.page, 'shop-phone-home');
  });

  test('checkout asks for the password when the login is older than 5 minutes; sign out everywhere else too', async () => {
    const { page } = await open();
    const other = await open();
    await logIn(other.page, 'alice', 'wonderland');
    await page.goto(`${base}/`);
    await page.getByRole('button', { name: 'Add Jade tile to the cart' }).click();
    await logIn(page);
    clock.advance(6 * 60_000);
    try {
      await page.goto(`${base}/checkout`);
      await assert.doesNotReject(page.getByText('Confirm your password to pay').waitFor());
      assert.equal(await page.getByRole('button', { name: 'Place order' }).count(), 0);
      await shot(page, 'shop-checkout-step-up');
      await page.getByLabel('Password for alice').fill('wonderland');
      await page.getByRole('button', { name: 'Confirm and continue' }).click();
      await page.getByRole('button', { name: 'Place order' }).click();
      await assert.doesNotReject(page.getByText(/Order #\d+ placed/).waitFor());
      // Fresh again now: "sign out everywhere else" runs at once and ends the other browser.
      await page.goto(`${base}/account/devices`);
      await page.getByRole('button', { name: /Sign out everywhere else/ }).click();
      await assert.doesNotReject(page.getByText(/Signed out everywhere else \([1-9]/).waitFor());
      await other.page.goto(`${base}/account`);
      await other.page.waitForURL(/\/login\?/);
      await assert.doesNotReject(other.page.getByText('You were signed out everywhere').waitFor());
    } finally {
      clock.offset = 0;
    }
  });

  test('no CSP violation, script error or dialog on any page', () => {
    for (const { problems } of contexts) {
      assert.deepEqual(problems.csp, []);
      assert.deepEqual(problems.errors, []);
      assert.deepEqual(problems.dialogs, []);
    }
  });
});
