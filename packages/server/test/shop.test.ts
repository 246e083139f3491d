/**
 * The demo shop over HTTP: the stable surface scripts and the auditor use, the cart across login,
 * step-up before checkout and before ending other sessions, password change ending other sessions,
 * login throttling, expiry messages, CSRF and security headers. Real service, memory store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, ShiftedClock, startService, type TestService } from './helpers.ts';

const MIN = 60_000;

describe('demo shop', () => {
  let t: TestService;
  const clock = new ShiftedClock();
  before(async () => {
    t = await startService({}, clock);
  });
  after(() => t.stop());

  test('stable surface: login form, 303 to /account, Hello alice, POST /logout, /account redirects when signed out', async () => {
    const c = new Client(t.url);
    const page = await (await c.get('/login')).text();
    assert.match(page, /name="username"/);
    assert.match(page, /name="password"/);
    assert.match(page, /name="_csrf"/);
    assert.match(page, /alice.*wonderland/s);
    assert.match(page, /bob.*builder/s);
    const res = await c.login();
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/account');
    const account = await c.get('/account');
    assert.equal(account.status, 200);
    assert.equal(account.headers.get('cache-control'), 'no-store');
    assert.match(await account.text(), /Hello alice/);
    const out = await c.post('/logout', {}, '/account');
    assert.equal(out.status, 303);
    const again = await c.get('/account');
    assert.equal(again.status, 303);
    assert.match(again.headers.get('location') ?? '', /^\/login\?/);
  });

  test('wrong password: 401 and the form again; unknown user the same', async () => {
    const c = new Client(t.url);
    const res = await c.login('bob', 'wrong-password');
    assert.equal(res.status, 401);
    assert.match(await res.text(), /Wrong username or password/);
    assert.equal((await c.login('nobody', 'whatever')).status, 401);
  });

  test('the anonymous cart survives login, on a new token', async () => {
    const c = new Client(t.url);
    assert.equal((await c.get('/')).headers.getSetCookie().length, 0, 'browsing creates no session');
    const add = await c.post('/cart', { item: 'gold' }, '/login');
    assert.equal(add.status, 303);
    const anon = c.cookies.get('__Host-sid');
    await c.login('bob', 'builder');
    assert.notEqual(c.cookies.get('__Host-sid'), anon, 'login issued a new token');
    assert.match(await (await c.get('/cart')).text(), /Gold leaf tile/);
    const stale = new Client(t.url);
    stale.cookies.set('__Host-sid', anon!);
    assert.doesNotMatch(await (await stale.get('/cart')).text(), /Gold leaf tile/);
  });

  test('cross-site and token-less form posts are refused (403), nothing added', async () => {
    const c = new Client(t.url);
    await c.login();
    const cross = await c.request('/cart', {
      method: 'POST',
      body: new URLSearchParams({ item: 'onyx' }),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
      },
    });
    assert.equal(cross.status, 403);
    assert.match(await cross.text(), /another site/);
    const bare = await c.post('/cart', { item: 'onyx' });
    assert.equal(bare.status, 403);
    assert.doesNotMatch(await (await c.get('/cart')).text(), /Onyx tile/);
  });

  test('checkout needs a fresh password: after 6 minutes it asks again, then the order goes through', async () => {
    const c = new Client(t.url);
    await c.post('/cart', { item: 'cobalt' }, '/login');
    await c.login();
    clock.advance(6 * MIN);
    try {
      const page = await (await c.get('/checkout')).text();
      assert.match(page, /Confirm your password to pay/);
      assert.doesNotMatch(page, /Place order/);
      const blocked = await c.post('/checkout', {}, '/checkout');
      assert.equal(blocked.headers.get('location'), '/checkout?m=confirm');
      const wrong = await c.post('/reauth', { password: 'nope', action: 'checkout' }, '/checkout');
      assert.equal(wrong.status, 401);
      const before = c.cookies.get('__Host-sid');
      const ok = await c.post('/reauth', { password: 'wonderland', action: 'checkout' }, '/checkout');
      assert.equal(ok.headers.get('location'), '/checkout?m=confirmed');
      assert.notEqual(c.cookies.get('__Host-sid'), before, 'step-up rotated the token');
      assert.match(await (await c.get('/checkout')).text(), /Place order/);
      const placed = await c.post('/checkout', {}, '/checkout');
      assert.match(placed.headers.get('location') ?? '', /^\/orders\/\d+$/);
      assert.match(await (await c.get(placed.headers.get('location')!)).text(), /Order #\d+ placed/);
    } finally {
      clock.offset = 0;
    }
  });

  test('your devices: lists sessions; ending others needs a fresh password; the other browser is then signed out', async () => {
    const phone = new Client(
      t.url,
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
    );
    const laptop = new Client(t.url);
    await phone.login('bob', 'builder');
    await laptop.login('bob', 'builder');
    const page = await (await laptop.get('/account/devices')).text();
    assert.match(page, /This device/);
    assert.match(page, /Mobile Safari|Safari/);
    clock.advance(6 * MIN);
    try {
      const stale = await laptop.post('/account/devices/revoke-others', {}, '/account/devices');
      assert.equal(stale.headers.get('location'), '/reauth?action=revoke-others');
      assert.equal((await phone.get('/account')).status, 200, 'nothing ended before the password check');
      const done = await laptop.post('/reauth', { password: 'builder', action: 'revoke-others' }, '/account');
      assert.match(done.headers.get('location') ?? '', /^\/account\/devices\?m=others-signed-out&n=[1-9]/);
      const gone = await phone.get('/account');
      assert.equal(gone.status, 303);
      assert.match(gone.headers.get('location') ?? '', /ended=revoked-all/);
      assert.equal((await laptop.get('/account')).status, 200);
    } finally {
      clock.offset = 0;
    }
  });

  test('sign out one device (fresh login: no step-up needed); another user cannot end it', async () => {
    const a = new Client(t.url);
    const b = new Client(t.url);
    await a.login('bob', 'builder');
    await b.login('bob', 'builder');
    const html = await (await a.get('/account/devices')).text();
    const ids = [...html.matchAll(/name="id" value="([A-Za-z0-9_-]{43})"/g)].map((m) => m[1]!);
    assert.ok(ids.length >= 1);
    const mallory = new Client(t.url);
    await mallory.login('alice', 'wonderland');
    const tried = await mallory.post('/account/devices/revoke', { id: ids[0]! }, '/account');
    assert.match(tried.headers.get('location') ?? '', /device-gone/);
    const res = await a.post('/account/devices/revoke', { id: ids[0]! }, '/account/devices');
    assert.match(res.headers.get('location') ?? '', /device-signed-out/);
  });

  test('password change ends every other session and keeps this one', async () => {
    const t2 = await startService();
    try {
      const one = new Client(t2.url);
      const two = new Client(t2.url);
      await one.login('alice', 'wonderland');
      await two.login('alice', 'wonderland');
      const bad = await one.post(
        '/account/password',
        { current: 'wrong', password: 'new-password-1', confirm: 'new-password-1' },
        '/account/password',
      );
      assert.equal(bad.status, 401);
      const res = await one.post(
        '/account/password',
        { current: 'wonderland', password: 'new-password-1', confirm: 'new-password-1' },
        '/account/password',
      );
      assert.equal(res.headers.get('location'), '/account?m=password-changed&n=1');
      assert.equal((await one.get('/account')).status, 200);
      const out = await two.get('/account');
      assert.match(out.headers.get('location') ?? '', /ended=revoked-all/);
      assert.match(await (await two.get(out.headers.get('location')!)).text(), /signed out everywhere/);
      assert.equal((await new Client(t2.url).login('alice', 'wonderland')).status, 401);
      assert.equal((await new Client(t2.url).login('alice', 'new-password-1')).status, 303);
    } finally {
      await t2.stop();
    }
  });

  test('expiry: after 31 idle minutes /account sends to the login page, which says the session expired', async () => {
    const c = new Client(t.url);
    await c.login();
    clock.advance(31 * MIN);
    try {
      const res = await c.get('/account');
      assert.equal(res.status, 303);
      assert.match(res.headers.get('location') ?? '', /ended=expired/);
      assert.match(
        await (await c.get(res.headers.get('location')!)).text(),
        /signed out because your session expired/,
      );
    } finally {
      clock.offset = 0;
    }
  });

  test('logins are throttled per account: after 5 failures even the right password waits', async () => {
    const c = new Client(t.url);
    for (let i = 0; i < 5; i++) assert.equal((await c.login('bob', `guess-${i}`)).status, 401);
    const res = await c.login('bob', 'builder');
    assert.equal(res.status, 429);
    assert.match(await res.text(), /Too many failed attempts/);
    assert.equal(
      (await new Client(t.url).login('alice', 'wonderland')).status,
      303,
      'other accounts unaffected',
    );
  });

  test('logins are throttled per address too: 30 failures over many accounts lock the address out', async () => {
    const t3 = await startService();
    try {
      const c = new Client(t3.url);
      for (let i = 0; i < 30; i++) assert.equal((await c.login(`user${i}`, 'guess-password')).status, 401);
      assert.equal((await c.login('alice', 'wonderland')).status, 429);
    } finally {
      await t3.stop();
    }
  });

  test('a form body over 16 KiB is refused with 413, nothing stored', async () => {
    const c = new Client(t.url);
    await c.get('/login');
    const res = await c.post('/cart', { item: 'cobalt', pad: 'x'.repeat(20_000) }, '/login');
    assert.equal(res.status, 413);
    assert.doesNotMatch(await (await c.get('/cart')).text(), /Cobalt tile/);
  });

  test('security headers: strict CSP without inline script, no framing, nosniff', async () => {
    for (const path of ['/', '/login', '/security', '/admin/login']) {
      const res = await fetch(t.url + path);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'(;|$)/, path);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      const html = await res.text();
      assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, `${path} has no inline script`);
      assert.doesNotMatch(html, /\son[a-z]+=/i, `${path} has no event-handler attributes`);
    }
  });
});
