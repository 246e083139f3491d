/**
 * The admin console in a real browser: bootstrap with the one-time code, the dashboard's chart
 * (Chart.js served locally) drawn under the strict CSP, search a user whose User-Agent carries a
 * `<script>` (it renders as text and never runs), revoke the session — and that user's browser is
 * signed out. No CSP violation, script error or dialog anywhere. Screenshots under test-artifacts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startService, type TestService } from '../helpers.ts';
import {
  assertLabelled,
  available,
  launch,
  type Problems,
  requireChromium,
  shot,
  watch,
} from './chromium.ts';

requireChromium('the admin console');

const EVIL_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) <script>window.__xss=1;alert(1)</script> Chrome/130.0.0.0 Safari/537.36';

describe('admin console in Chromium', { skip: !available && 'Chromium is not installed' }, () => {
  let t: TestService;
  let browser: Browser;
  let base = '';
  let admin: { context: BrowserContext; page: Page; problems: Problems };
  let victim: { context: BrowserContext; page: Page; problems: Problems };

  before(async () => {
    t = await startService();
    base = `http://localhost:${new URL(t.url).port}`;
    browser = await launch();
    const mk = async (ua?: string) => {
      const context = await browser.newContext({
        viewport: { width: 1280, height: 860 },
        ...(ua ? { userAgent: ua } : {}),
      });
      context.setDefaultTimeout(10_000);
      const problems = watch(context);
      return { context, problems, page: await context.newPage() };
    };
    admin = await mk();
    victim = await mk(EVIL_UA);
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
  });

  test('bootstrap with the one-time code, then the dashboard draws its chart', async () => {
    const { page } = admin;
    await page.goto(`${base}/admin`);
    await page.waitForURL(`${base}/admin/setup`);
    await assertLabelled(page);
    await page.getByLabel('One-time code').fill(t.svc.bootstrapCode!);
    await page.getByLabel('Username').fill('root');
    await page.locator('#password').fill('correct horse battery');
    await page.getByLabel('Repeat the password').fill('correct horse battery');
    await shot(page, 'console-setup');
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.waitForURL(/\/admin\?m=welcome/);
    // Some activity for the chart.
    await victim.page.goto(`${base}/login`);
    await victim.page.getByLabel('Username').fill('bob');
    await victim.page.getByLabel('Password').fill('builder');
    await victim.page.getByRole('button', { name: 'Log in' }).click();
    await victim.page.waitForURL(`${base}/account`);
    await page.goto(`${base}/admin`);
    const drawn = await page.waitForFunction(() => {
      const c = document.getElementById('activity-chart') as HTMLCanvasElement | null;
      const chart =
        c && (window as unknown as { Chart?: { getChart(el: unknown): unknown } }).Chart?.getChart(c);
      return Boolean(chart);
    });
    assert.ok(await drawn.jsonValue(), 'Chart.js drew the activity chart');
    await shot(page, 'console-dashboard');
  });

  test('search by user: the <script> in the User-Agent renders as text and never runs', async () => {
    const { page } = admin;
    await page.goto(`${base}/admin/sessions`);
    await assertLabelled(page);
    await page.getByLabel('Search by user, address or agent').fill('bob');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=bob/);
    await assert.doesNotReject(
      page.getByText('<script>window.__xss=1;alert(1)</script>', { exact: false }).first().waitFor(),
    );
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    assert.equal(await page.locator('td script, .ua script').count(), 0);
    await shot(page, 'console-sessions');
    await page.getByRole('link', { name: 'Details' }).first().click();
    await page.waitForURL(/\/admin\/sessions\/[A-Za-z0-9_-]{43}$/);
    await assert.doesNotReject(page.getByText('Rotation family').waitFor());
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    await shot(page, 'console-session-detail');
  });

  test("revoke: the user's browser is signed out on its next request", async () => {
    const { page } = admin;
    assert.equal((await victim.page.goto(`${base}/account`))?.url(), `${base}/account`);
    await page.getByRole('button', { name: 'Revoke this session' }).click();
    await page.waitForURL(/m=revoked/);
    await assert.doesNotReject(page.getByText('Session revoked').waitFor());
    await victim.page.goto(`${base}/account`);
    await victim.page.waitForURL(/\/login\?/);
    await assert.doesNotReject(
      victim.page.getByText('signed out from another device or by an administrator').waitFor(),
    );
  });

  test('API keys page: a key is shown once', async () => {
    const { page } = admin;
    await page.goto(`${base}/admin/keys`);
    await assertLabelled(page);
    await page.getByLabel('Name').fill('checkout-service');
    await page.getByRole('button', { name: 'Create key' }).click();
    await assert.doesNotReject(page.locator('code.secret').waitFor());
    await shot(page, 'console-keys');
  });

  test('the audit trail records the revocation and its hash chain verifies', async () => {
    const { page } = admin;
    await page.goto(`${base}/admin/audit`);
    await assertLabelled(page);
    await assert.doesNotReject(page.getByText(/Hash chain verified: \d+ entries/).waitFor());
    await assert.doesNotReject(page.getByText('admin.session_revoked').first().waitFor());
    await shot(page, 'console-audit');
  });

  test('no CSP violation, script error or dialog in either browser', () => {
    for (const { problems } of [admin, victim]) {
      assert.deepEqual(problems.csp, []);
      assert.deepEqual(problems.errors, []);
      assert.deepEqual(problems.dialogs, []);
    }
  });
});
