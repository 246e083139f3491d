/**
 * The demo shop with Device Bound Session Credentials in `optional` mode, over HTTP with the
 * protocol-level DBSC browser of the core adapter suite (real P-256 keys, the exact headers and
 * proofs): a browser that registers a key shows as bound on "Your devices", other sessions show
 * whether a key is registered, a browser without DBSC is unaffected, and a copied cookie jar
 * without the bound cookie does not get in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DbscBrowser } from '../../tessera/test/adapters/dbsc-browser.ts';
import { FrozenClock } from '../../tessera/test/helpers/engine.ts';
import { startService, type TestService } from './helpers.ts';

const MIN = 60_000;
const BOUND_HERE = /this device is bound/;
const KEY_REGISTERED = /key registered/;

/** The `<li>` rows of the devices page, current one marked. */
function rows(page: string): Array<{ current: boolean; text: string }> {
  return [...page.matchAll(/<li class="device( device-current)?">([\s\S]*?)<\/li>/g)].map((m) => ({
    current: m[1] !== undefined,
    text: m[2]!,
  }));
}

describe('demo shop: device-bound sessions (optional)', () => {
  let t: TestService;
  const clock = new FrozenClock(Date.now());
  before(async () => {
    t = await startService({}, clock);
  });
  after(() => t.stop());

  test('a DBSC browser registers at login and its devices page says this device is bound; it stays bound across a refresh', async () => {
    const chrome = new DbscBrowser(t.url, clock);
    const login = await chrome.login();
    assert.equal(login.status, 303);
    assert.ok(chrome.session, 'the login offered a registration and the key was registered');
    const page = await chrome.request('/account/devices');
    assert.equal(page.status, 200);
    const list = rows(await page.text());
    const here = list.find((r) => r.current);
    assert.ok(here, 'the current device is listed');
    assert.match(here.text, BOUND_HERE);

    // The bound cookie expires; the browser signs a fresh challenge and the session stays bound.
    clock.advance(11 * MIN);
    const again = await chrome.request('/account/devices');
    assert.equal(again.status, 200);
    assert.ok(chrome.refreshes >= 1, 'the browser refreshed its bound cookie');
    assert.match(rows(await again.text()).find((r) => r.current)!.text, BOUND_HERE);
  });

  test('a browser without DBSC signs in as before, is not bound, and sees the other session’s registered key', async () => {
    const chrome = new DbscBrowser(t.url, clock);
    await chrome.login();
    assert.ok(chrome.session);
    const firefox = new DbscBrowser(t.url, clock, { supportsDbsc: false });
    const login = await firefox.login();
    assert.equal(login.status, 303);
    assert.equal(login.headers.get('location'), '/account');
    assert.equal(firefox.session, null);
    const account = await firefox.request('/account');
    assert.equal(account.status, 200);
    assert.match(await account.text(), /Hello alice/);

    const list = rows(await (await firefox.request('/account/devices')).text());
    const here = list.find((r) => r.current)!;
    assert.doesNotMatch(here.text, BOUND_HERE);
    assert.doesNotMatch(here.text, KEY_REGISTERED);
    const others = list.filter((r) => !r.current);
    assert.ok(
      others.some((r) => KEY_REGISTERED.test(r.text)),
      'the DBSC browser’s session shows a registered key',
    );
    // Seen from the DBSC browser, the plain session has no badge.
    const fromChrome = rows(await (await chrome.request('/account/devices')).text());
    assert.match(fromChrome.find((r) => r.current)!.text, BOUND_HERE);
    assert.ok(fromChrome.some((r) => !r.current && !KEY_REGISTERED.test(r.text)));
  });

  test('attack: a thief with the session cookie but not the key is refused, and the bound session ends', async () => {
    const chrome = new DbscBrowser(t.url, clock);
    await chrome.login();
    assert.ok(chrome.session);
    assert.equal((await chrome.request('/account')).status, 200);
    const thief = new DbscBrowser(t.url, clock, { supportsDbsc: false });
    thief.jar.set('__Host-sid', { value: chrome.cookie('__Host-sid')!, expiresAt: null });
    clock.advance(11_000); // past the registration grace for requests already in flight
    const stolen = await thief.fetch('/account');
    assert.equal(stolen.status, 303, 'no account page for the copied cookie');
    assert.match(stolen.headers.get('location') ?? '', /^\/login/);
    // Optional mode's default: a bound session seen without its proof is revoked.
    const owner = await chrome.request('/account');
    assert.equal(owner.status, 303);
  });

  describe('the reverse-proxy endpoint GET /v1/auth', () => {
    let key = '';
    before(() => {
      key = t.svc.apiKeys.create('test proxy', ['validate']).key;
    });
    const auth = (cookie: string) =>
      fetch(`${t.url}/v1/auth`, { headers: { authorization: `Bearer ${key}`, cookie } });

    test('a bound browser passes with its session and bound cookies; an unbound browser passes with its session cookie', async () => {
      const chrome = new DbscBrowser(t.url, clock);
      await chrome.login();
      assert.ok(chrome.session);
      clock.advance(11_000); // past the registration grace: only the bound cookie proves the key now
      const ok = await auth(chrome.cookieHeader());
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('x-tessera-user'), 'alice');

      const firefox = new DbscBrowser(t.url, clock, { supportsDbsc: false });
      await firefox.login();
      assert.equal(firefox.session, null);
      clock.advance(11_000);
      const plain = await auth(`__Host-sid=${firefox.cookie('__Host-sid')}`);
      assert.equal(plain.status, 200);
      assert.equal(plain.headers.get('x-tessera-user'), 'alice');
    });

    test('attack: a thief with only the session cookie of a bound browser is refused, and the bound session ends', async () => {
      const chrome = new DbscBrowser(t.url, clock);
      await chrome.login();
      assert.ok(chrome.session);
      clock.advance(11_000);
      const stolen = await auth(`__Host-sid=${chrome.cookie('__Host-sid')}`);
      assert.equal(stolen.status, 401, 'a stolen session cookie without the bound cookie does not pass');
      assert.equal(stolen.headers.get('x-tessera-user'), null);
      assert.equal(stolen.headers.get('set-cookie'), null, 'no renewed token for the thief');
      // The handler's default policy (`onMissingProof: 'revoke'`): the session is over everywhere.
      assert.equal((await auth(chrome.cookieHeader())).status, 401);
      assert.equal((await chrome.request('/account')).status, 303);
    });

    test('attack: a forged or expired bound cookie does not pass', async () => {
      const chrome = new DbscBrowser(t.url, clock);
      await chrome.login();
      assert.ok(chrome.session);
      clock.advance(11_000);
      const sid = chrome.cookie('__Host-sid')!;
      const bound = chrome.cookie('__Host-sid-bound')!;
      assert.ok(bound, 'the browser holds a bound cookie');
      const [issued, mac] = bound.split('.') as [string, string];
      const forged = `${issued}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
      assert.equal((await auth(`__Host-sid=${sid}; __Host-sid-bound=${forged}`)).status, 401);

      // Malware copies the whole jar and keeps sending the bound cookie after it expired.
      const other = new DbscBrowser(t.url, clock);
      await other.login();
      assert.ok(other.session);
      const thief = other.stealCookies();
      clock.advance(11 * MIN);
      // The owner's browser refreshes its bound cookie (signing a challenge) and still passes.
      await other.ensureFresh();
      assert.equal((await auth(other.cookieHeader())).status, 200);
      assert.equal((await auth(thief.cookieHeader())).status, 401, 'an expired bound cookie does not pass');
    });
  });
});
