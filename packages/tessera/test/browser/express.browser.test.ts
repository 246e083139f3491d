/**
 * The Express example in a real browser (Debian's Chromium driven by playwright-core) at
 * http://localhost:<port>: the __Host- cookie is accepted and hidden from scripts, a cross-site
 * form POST is refused, the real login form works, logout really logs out, and only a remember-me
 * session survives a browser restart.
 *
 * Without /usr/bin/chromium the tests are skipped loudly; with CI=true they fail instead.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { createApp } from '../../../../examples/express/server.ts';
import { systemClock } from '../../src/clock.ts';
import { COOKIE, listen, testManager } from '../adapters/helpers.ts';
import { ARGS, available, CHROMIUM, requireChromium } from './chromium.ts';

requireChromium('the Express adapter');

function launch(profile: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
}

/** Serves one fixed HTML page (the "attacker" site). */
function pageServer(html: string): Server {
  return createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
}

describe('Express example in Chromium', { skip: !available && 'Chromium is not installed' }, () => {
  const { manager } = testManager({ clock: systemClock });
  const profiles: string[] = [];
  let app: { url: string; close(): Promise<void> };
  let base = '';

  const profile = () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-chromium-'));
    profiles.push(dir);
    return dir;
  };

  before(async () => {
    app = await listen(createServer(createApp(manager)));
    base = `http://localhost:${new URL(app.url).port}`;
  });
  after(async () => {
    await app.close();
    for (const dir of profiles) rmSync(dir, { recursive: true, force: true });
  });

  async function logIn(page: Page, remember = false): Promise<void> {
    await page.goto(`${base}/login`);
    await page.fill('input[name=username]', 'alice');
    await page.fill('input[name=password]', 'wonderland');
    if (remember) await page.check('input[name=remember]');
    await Promise.all([page.waitForURL(`${base}/account`), page.click('button[type=submit]')]);
    assert.match((await page.textContent('h1')) ?? '', /Hello alice/);
  }

  const sessionCookie = async (context: BrowserContext) =>
    (await context.cookies(base)).find((c) => c.name === COOKIE);

  test('the __Host- cookie is accepted, hidden from scripts; cross-site POST refused; logout really logs out', async () => {
    const context = await launch(profile());
    try {
      const page = await context.newPage();
      await logIn(page);

      const cookie = await sessionCookie(context);
      assert.ok(cookie, 'Chromium accepted the __Host-sid cookie');
      assert.equal(cookie.secure, true);
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'Lax');
      assert.equal(cookie.path, '/');
      assert.equal(cookie.domain, 'localhost', 'host-only cookie');
      assert.equal(cookie.expires, -1, 'a browser-session cookie');
      const visible = await page.evaluate(() => document.cookie);
      assert.ok(!visible.includes(COOKIE), 'document.cookie cannot read the session cookie');

      // Add an item through the real form.
      await Promise.all([page.waitForURL(`${base}/account`), page.click('form[action="/cart"] button')]);
      assert.equal(await page.textContent('#cart'), 'book');

      // Another origin (127.0.0.1 vs localhost: another site) auto-submits a form to /cart.
      const attacker = await listen(
        pageServer(`<!doctype html><form method="post" action="${base}/cart">
<input name="item" value="evil"></form><script>document.forms[0].submit()</script>`),
      );
      try {
        const refused = page.waitForResponse((r) => r.url() === `${base}/cart`);
        await page.goto(`${attacker.url}/`);
        const res = await refused;
        assert.equal(res.status(), 403, 'the cross-site form POST is refused');
        assert.equal(((await res.json()) as { code: string }).code, 'CSRF_REJECTED');
      } finally {
        await attacker.close();
      }
      await page.goto(`${base}/account`);
      assert.match((await page.textContent('h1')) ?? '', /Hello alice/, 'still logged in');
      assert.equal(await page.textContent('#cart'), 'book', 'the cart is unchanged');

      // Log out through the real form; the old cookie must be dead server-side.
      const before = (await sessionCookie(context))!.value;
      await Promise.all([page.waitForURL(`${base}/login`), page.click('form[action="/logout"] button')]);
      assert.notEqual(
        (await sessionCookie(context))?.value,
        before,
        'the browser no longer holds the old cookie',
      );
      const replay = await fetch(`${app.url}/me`, { headers: { cookie: `${COOKIE}=${before}` } });
      assert.equal(replay.status, 401, 'replaying the old cookie fails');
      await page.goto(`${base}/account`);
      assert.equal(new URL(page.url()).pathname, '/login', 'the account page sends us to log in');
    } finally {
      await context.close();
    }
  });

  test('a remember-me session survives a browser restart; a normal one does not', async () => {
    // The context's request API shares the browser's cookie jar; it asks for JSON, not a login redirect.
    const me = async (context: BrowserContext) => {
      const res = await context.request.get(`${base}/me`, { maxRedirects: 0 });
      return { status: res.status(), body: await res.text() };
    };

    const rememberedProfile = profile();
    let context = await launch(rememberedProfile);
    try {
      await logIn(await context.newPage(), true);
      const cookie = await sessionCookie(context);
      assert.ok(cookie && cookie.expires > Date.now() / 1000, 'a persistent cookie (Max-Age)');
    } finally {
      await context.close();
    }
    context = await launch(rememberedProfile);
    try {
      const r = await me(context);
      assert.equal(r.status, 200, 'remember-me survives the restart');
      assert.match(r.body ?? '', /"userId":"alice"/);
    } finally {
      await context.close();
    }

    const normalProfile = profile();
    context = await launch(normalProfile);
    try {
      await logIn(await context.newPage(), false);
      assert.equal((await me(context)).status, 200);
    } finally {
      await context.close();
    }
    context = await launch(normalProfile);
    try {
      assert.equal(await sessionCookie(context), undefined, 'the session cookie did not survive');
      assert.equal((await me(context)).status, 401, 'a normal session ends with the browser');
    } finally {
      await context.close();
    }
  });
});
