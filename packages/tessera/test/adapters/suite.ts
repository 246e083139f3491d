/**
 * The adapter conformance suite: one set of attacks and expectations run over real HTTP against
 * every framework adapter's example app. An adapter test file only plugs its app in:
 *
 *   defineAdapterSuite('express', async (manager) => { … return { url, close } });
 *
 * Every case builds a fresh manager (memory store behind a switchable wrapper, a fixed key, a frozen
 * clock) and a fresh app around it, so cases never share state.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { SessionEvent } from '../../src/engine/events.ts';
import { SessionManager } from '../../src/engine/session-manager.ts';
import { KEY_B, keys } from '../helpers/engine.ts';
import {
  abortedGet,
  Client,
  COOKIE,
  csrfFromHtml,
  eventually,
  isCleared,
  MINUTE,
  plantedToken,
  problemOf,
  rawRequest,
  rawSetCookie,
  rawStatus,
  SECOND,
  setCookie,
  setCookies,
  startSlowPost,
  type TestManager,
  testManager,
} from './helpers.ts';

export interface AdapterApp {
  url: string;
  close(): Promise<void>;
}

interface Ctx extends TestManager {
  app: AdapterApp;
  client: Client;
  /** A second, unrelated browser. */
  other(): Client;
}

/** `start` builds the adapter's example app around the given manager and listens on 127.0.0.1:0. */
export function defineAdapterSuite(
  name: string,
  start: (manager: SessionManager) => Promise<AdapterApp>,
): void {
  async function withApp(run: (ctx: Ctx) => Promise<void>): Promise<void> {
    const tm = testManager();
    const app = await start(tm.manager);
    try {
      await run({ ...tm, app, client: new Client(app.url), other: () => new Client(app.url) });
    } finally {
      await app.close();
    }
  }
  const cart = async (res: Response): Promise<string[]> => {
    assert.equal(res.status, 200, `POST /cart answered ${res.status}`);
    return ((await res.json()) as { cart: string[] }).cart;
  };
  /** What the store holds for a token: its user and cart (validates through the manager, not HTTP). */
  const stored = async (manager: SessionManager, token: string) => {
    // Same User-Agent as Node's fetch, so the binding policy sees the same client.
    const r = await manager.validate(token, { userAgent: 'node', ip: '127.0.0.1' });
    if (!r.ok) return null;
    return { userId: r.session.userId, cart: manager.readData<{ cart?: string[] }>(r.session)?.cart ?? [] };
  };

  describe(`adapter conformance: ${name}`, () => {
    test('an anonymous cart survives across requests', () =>
      withApp(async ({ client, other }) => {
        const r0 = await client.get('/me');
        assert.equal(r0.status, 401);
        assert.equal(setCookie(r0), undefined, 'no session is created for a mere visit');
        assert.deepEqual(await cart(await client.post('/cart', { item: 'apple' })), ['apple']);
        const first = client.token;
        assert.ok(first, 'adding to the cart starts a session');
        assert.deepEqual(await cart(await client.post('/cart', { item: 'pear' })), ['apple', 'pear']);
        assert.equal(client.token, first, 'the anonymous token is stable');
        assert.deepEqual(await cart(await other().post('/cart', { item: 'fig' })), ['fig']);
      }));

    test('login rotates the cookie, carries the cart, and the pre-login token is dead', () =>
      withApp(async ({ client, manager }) => {
        await client.post('/cart', { item: 'apple' });
        const anon = client.token!;
        const res = await client.login();
        assert.equal(res.status, 303);
        assert.equal(res.headers.get('location'), '/account');
        const authed = client.token;
        assert.ok(authed);
        assert.notEqual(authed, anon, 'login must issue a new token');
        const account = await client.get('/account');
        assert.equal(account.status, 200);
        const html = await account.text();
        assert.match(html, /Hello alice/);
        assert.match(html, /apple/, 'the cart is carried over');
        assert.equal(await stored(manager, anon), null, 'the pre-login token is dead in the store');
        const replay = await client.get('/me', { cookie: anon });
        assert.equal(replay.status, 401, 'the pre-login token does not authenticate');
        const replayHtml = await client.get('/account', { cookie: anon, headers: { accept: 'text/html' } });
        assert.equal(replayHtml.status, 303);
        assert.equal(replayHtml.headers.get('location'), '/login');
      }));

    test('wrong credentials are refused with 401 and no authenticated session', () =>
      withApp(async ({ client }) => {
        const csrf = await client.csrf();
        const res = await client.post('/login', { username: 'alice', password: 'nope', _csrf: csrf });
        assert.equal(res.status, 401);
        assert.equal((await client.get('/me')).status, 401);
      }));

    test('a planted cookie (well-formed, never issued) is never adopted', () =>
      withApp(async ({ client, manager }) => {
        const planted = plantedToken();
        client.token = planted;
        const me = await client.get('/me');
        assert.equal(me.status, 401);
        const page = await client.get('/login');
        assert.equal(page.status, 200);
        const csrf = csrfFromHtml(await page.text());
        for (const c of [...setCookies(me), ...setCookies(page)]) assert.notEqual(c.value, planted);
        assert.notEqual(client.token, planted, 'the app issued its own token');
        const login = await client.post('/login', { username: 'alice', password: 'wonderland', _csrf: csrf });
        assert.equal(login.status, 303);
        for (const c of setCookies(login)) assert.notEqual(c.value, planted);
        // Even logging in while presenting only the planted cookie must not adopt it.
        const direct = await client.post(
          '/login',
          { username: 'alice', password: 'wonderland' },
          { cookie: planted },
        );
        assert.equal(direct.status, 303);
        for (const c of setCookies(direct)) assert.notEqual(c.value, planted);
        assert.equal(await stored(manager, planted), null);
        assert.equal((await client.get('/me', { cookie: planted })).status, 401);
      }));

    test('logout ends the session server-side, clears the cookie and sends Clear-Site-Data', () =>
      withApp(async ({ client, manager }) => {
        await client.login();
        const authed = client.token!;
        assert.equal((await client.get('/me')).status, 200);
        const out = await client.post('/logout', { _csrf: await client.csrf('/account') });
        assert.equal(out.status, 303);
        assert.equal(out.headers.get('location'), '/login');
        assert.equal(out.headers.get('clear-site-data'), '"cookies"');
        const c = setCookie(out);
        assert.ok(c && isCleared(c), 'the cookie is cleared');
        assert.equal(await stored(manager, authed), null, 'the record is gone');
        const replay = await client.get('/me', { cookie: authed });
        assert.equal(replay.status, 401, 'replaying the old cookie fails');
        const replayHtml = await client.get('/account', { cookie: authed, headers: { accept: 'text/html' } });
        assert.equal(replayHtml.status, 303);
      }));

    test('a session revoked through the manager is rejected on the next request', () =>
      withApp(async ({ client, manager }) => {
        await client.login();
        assert.equal((await client.get('/me')).status, 200);
        const [s] = await manager.listForUser('alice');
        assert.ok(s);
        assert.equal(await manager.revoke(s.id), true);
        assert.equal((await client.get('/me')).status, 401);
      }));

    test('a cross-site POST is refused with 403 CSRF_REJECTED and the session is unchanged', () =>
      withApp(async ({ client, manager }) => {
        await client.post('/cart', { item: 'apple' });
        const token = client.token!;
        const csrf = await client.csrf();
        const attempts: Array<Record<string, string>> = [
          { 'sec-fetch-site': 'cross-site' },
          { 'sec-fetch-site': 'cross-site', origin: client.origin },
          { origin: 'https://evil.example' },
          { origin: 'null' },
          { 'sec-fetch-site': 'same-site' },
        ];
        for (const headers of attempts) {
          const res = await client.post(
            '/cart',
            { item: 'evil', _csrf: csrf },
            { headers, sameOrigin: false },
          );
          assert.equal(res.status, 403, `refused: ${JSON.stringify(headers)}`);
          const p = await problemOf(res);
          assert.equal(p.code, 'CSRF_REJECTED');
          assert.match(p.contentType, /application\/problem\+json/);
        }
        // Logging in or out cross-site is refused too.
        const login = await client.post(
          '/login',
          { username: 'alice', password: 'wonderland' },
          { headers: { origin: 'https://evil.example' }, sameOrigin: false },
        );
        assert.equal(login.status, 403);
        assert.equal(client.token, token);
        assert.deepEqual((await stored(manager, token))?.cart, ['apple'], 'the cart is unchanged');
        assert.equal((await stored(manager, token))?.userId, null, 'still anonymous');
      }));

    test('a same-origin POST with a CSRF token is accepted (header and form field)', () =>
      withApp(async ({ client }) => {
        const csrf = await client.csrf();
        const viaHeader = await client.post(
          '/cart',
          { item: 'a' },
          { headers: { 'x-csrf-token': csrf }, sameOrigin: false },
        );
        assert.deepEqual(await cart(viaHeader), ['a']);
        const viaField = await client.post('/cart', { item: 'b', _csrf: csrf }, { sameOrigin: false });
        assert.deepEqual(await cart(viaField), ['a', 'b']);
        const withMetadata = await client.post(
          '/cart',
          { item: 'c' },
          { headers: { 'sec-fetch-site': 'same-origin', origin: client.origin } },
        );
        assert.deepEqual(await cart(withMetadata), ['a', 'b', 'c']);
      }));

    test('a POST without Origin, Sec-Fetch-Site and a valid token is refused', () =>
      withApp(async ({ client, other, manager }) => {
        await client.post('/cart', { item: 'apple' });
        const token = client.token!;
        const none = await client.post('/cart', { item: 'x' }, { sameOrigin: false });
        assert.equal(none.status, 403);
        assert.equal((await problemOf(none)).code, 'CSRF_REJECTED');
        const wrong = await client.post(
          '/cart',
          { item: 'x', _csrf: `${'A'.repeat(22)}.${'B'.repeat(43)}` },
          { sameOrigin: false },
        );
        assert.equal(wrong.status, 403);
        // A token minted for another session does not transfer.
        const stranger = other();
        const foreign = await stranger.csrf();
        const crossed = await client.post('/cart', { item: 'x', _csrf: foreign }, { sameOrigin: false });
        assert.equal(crossed.status, 403);
        const anonymous = await client.post('/cart', { item: 'x' }, { sameOrigin: false, cookie: null });
        assert.equal(anonymous.status, 403);
        assert.deepEqual((await stored(manager, token))?.cart, ['apple']);
      }));

    test('step-up: /checkout needs a fresh authentication, /reauth provides it', () =>
      withApp(async ({ client, other, clock }) => {
        await client.login();
        const fresh = await client.post('/checkout');
        assert.equal(fresh.status, 200);
        assert.deepEqual(await fresh.json(), { ok: true });
        clock.advance(6 * MINUTE);
        const stale = await client.post('/checkout');
        assert.equal(stale.status, 401);
        assert.equal((await problemOf(stale)).code, 'REAUTH_REQUIRED');
        const bad = await client.post('/reauth', { password: 'nope' });
        assert.equal(bad.status, 401);
        assert.equal((await client.post('/checkout')).status, 401);
        const before = client.token;
        const ok = await client.post('/reauth', { password: 'wonderland' });
        assert.equal(ok.status, 200);
        assert.deepEqual(await ok.json(), { ok: true });
        assert.notEqual(client.token, before, 're-authentication rotates the token');
        assert.equal(
          (await client.get('/me', { cookie: before })).status,
          401,
          'the pre-step-up token is dead',
        );
        assert.equal((await client.post('/checkout')).status, 200);
        const anon = await other().post('/checkout');
        assert.equal(anon.status, 401);
      }));

    test('authenticated responses carry Cache-Control: no-store', () =>
      withApp(async ({ client }) => {
        const login = await client.login();
        assert.match(login.headers.get('cache-control') ?? '', /no-store/);
        for (const path of ['/me', '/account']) {
          const res = await client.get(path);
          assert.equal(res.status, 200);
          assert.match(res.headers.get('cache-control') ?? '', /no-store/, path);
        }
        assert.match(
          (await client.post('/cart', { item: 'a' })).headers.get('cache-control') ?? '',
          /no-store/,
        );
      }));

    test('duplicate session cookies are treated as no session', () =>
      withApp(async ({ client, other, app }) => {
        await client.login();
        const t = client.token!;
        const second = other();
        await second.post('/cart', { item: 'x' });
        const headers = [
          `${COOKIE}=${t}; ${COOKIE}=${t}`,
          `${COOKIE}=${second.token}; ${COOKIE}=${t}`,
          `${COOKIE}=${t}; ${COOKIE}=`,
        ];
        for (const h of headers) {
          const res = await client.get('/me', { cookieHeader: h });
          assert.equal(res.status, 401, h.replaceAll(t, '<token>'));
          for (const c of setCookies(res)) assert.notEqual(c.value, t);
        }
        // Two separate Cookie header lines (fetch would merge them, so send raw bytes).
        const host = new URL(app.url).host;
        const raw = await rawRequest(
          app.url,
          `GET /me HTTP/1.1\r\nHost: ${host}\r\nCookie: ${COOKIE}=${t}\r\nCookie: ${COOKIE}=${t}\r\nConnection: close\r\n\r\n`,
        );
        assert.equal(rawStatus(raw), 401);
        // The real cookie alone still works: duplicates did not end the session.
        assert.equal((await client.get('/me')).status, 200);
      }));

    test('a malformed Cookie header never crashes the server (fuzzed)', () =>
      withApp(async ({ client, app }) => {
        await client.login();
        const t = client.token!;
        const piece = fc.oneof(
          fc.constantFrom(
            COOKIE,
            '__Host-',
            'sid',
            '=',
            ';',
            ' ',
            '"',
            '%',
            '%00',
            '\\',
            ',',
            '\t',
            t,
            t.slice(0, 20),
          ),
          fc.string({ unit: 'grapheme-ascii', maxLength: 30 }),
        );
        const header = fc.array(piece, { maxLength: 12 }).map((p) => p.join(''));
        await fc.assert(
          fc.asyncProperty(header, async (h) => {
            const res = await fetch(new URL('/me', app.url), { headers: { cookie: h }, redirect: 'manual' });
            await res.arrayBuffer();
            assert.ok(
              res.status === 200 || res.status === 401,
              `status ${res.status} for ${JSON.stringify(h)}`,
            );
            if (res.status === 200) assert.ok(h.includes(t), 'only the real token authenticates');
          }),
          { numRuns: 150, seed: 20261122 },
        );
        // Bytes fetch will not send: control characters, high bytes, an oversized header.
        const host = new URL(app.url).host;
        const nasty = [
          Buffer.from(`${COOKIE}=\x01\x02\x7f; a=\xff\xfe`, 'latin1'),
          Buffer.from(`${COOKIE}="${'"'.repeat(100)}`, 'latin1'),
          Buffer.from(`${'a=b;'.repeat(4000)}`, 'latin1'),
          Buffer.from(`${COOKIE}=${'A'.repeat(15_000)}`, 'latin1'),
        ];
        for (const value of nasty) {
          const head = Buffer.concat([
            Buffer.from(`GET /me HTTP/1.1\r\nHost: ${host}\r\nCookie: `),
            value,
            Buffer.from('\r\nConnection: close\r\n\r\n'),
          ]);
          const status = rawStatus(await rawRequest(app.url, head));
          assert.ok(status === 0 || (status >= 400 && status < 500), `status ${status}`);
        }
        assert.equal((await client.get('/me')).status, 200, 'the server still answers');
      }));

    test('store down: 503 problem STORE_UNAVAILABLE, never a session', () =>
      withApp(async ({ client, other, store }) => {
        await client.login();
        store.failing.add('*');
        try {
          const me = await client.get('/me');
          assert.equal(me.status, 503);
          const p = await problemOf(me);
          assert.equal(p.code, 'STORE_UNAVAILABLE');
          assert.match(p.contentType, /application\/problem\+json/);
          const anon = await other().post('/cart', { item: 'a' });
          assert.equal(anon.status, 503);
          assert.equal(setCookie(anon), undefined, 'no cookie is issued while the store is down');
        } finally {
          store.failing.clear();
        }
        assert.equal((await client.get('/me')).status, 200, 'the session works again once the store is back');
      }));

    // Periodic renewal must never end a session the legitimate client can still continue: the new
    // cookie reaches the browser only with the renewing response, which may be slow, lost or aborted.
    const reuses = (manager: SessionManager) => {
      const seen: SessionEvent[] = [];
      manager.events.on('session.reuse', (e) => seen.push(e));
      return seen;
    };

    test('renewal during a slow upload, another tab busy meanwhile: nobody is logged out, no alarm', () =>
      withApp(async ({ app, client, manager, clock }) => {
        const alarms = reuses(manager);
        await client.login();
        const t0 = client.token!;
        clock.advance(16 * MINUTE); // renewal due
        // Tab 1 submits a form over a slow connection: headers and half the body now.
        const upload = await startSlowPost(app.url, '/cart', t0, { item: 'x'.repeat(2000) });
        await new Promise((r) => setTimeout(r, 50));
        // Tab 2 (same browser, same cookie jar) keeps working, long past the grace window.
        for (let i = 0; i < 3; i++) {
          const me = await client.get('/me');
          assert.equal(me.status, 200, `tab 2, request ${i}`);
          clock.advance(10 * SECOND);
        }
        const raw = await upload.finish();
        assert.equal(rawStatus(raw), 200, `the slow upload is served: ${raw.slice(0, 200)}`);
        const renewed = rawSetCookie(raw);
        if (renewed) client.token = renewed; // the browser applies the late Set-Cookie
        assert.equal((await client.get('/me')).status, 200, 'the session goes on');
        clock.advance(10 * SECOND);
        assert.equal((await client.get('/me')).status, 200);
        const account = await client.get('/account');
        assert.match(await account.text(), /x{64}/, "the upload's write landed in the session");
        assert.equal(alarms.length, 0, 'no reuse alarm');
        assert.equal((await manager.listForUser('alice')).length, 1);
      }));

    test('an aborted renewing response: the old cookie keeps working, then the theft case still revokes', () =>
      withApp(async ({ app, client, manager, clock }) => {
        const alarms = reuses(manager);
        await client.login();
        const t0 = client.token!;
        const [before] = await manager.listForUser('alice');
        clock.advance(16 * MINUTE);
        await abortedGet(app.url, '/me', t0); // the response carrying the new cookie never arrives
        await eventually(
          async () => (await manager.listForUser('alice'))[0]?.id !== before!.id,
          'the server renewed the session',
        );
        for (let i = 0; i < 5; i++) {
          clock.advance(MINUTE);
          const me = await client.get('/me');
          assert.equal(me.status, 200, `old cookie, ${i + 1} min after the lost renewal`);
          assert.equal(client.token, t0, 'no second renewal while the first is unclaimed');
        }
        assert.equal(alarms.length, 0);
        // When the unclaimed successor is itself due for renewal, the old cookie's holder gets a new token.
        clock.advance(15 * MINUTE);
        assert.equal((await client.get('/me')).status, 200);
        const t2 = client.token!;
        assert.notEqual(t2, t0, 'the client holding the old cookie is renewed again');
        assert.equal((await client.get('/me')).status, 200);
        // Theft: the old cookie replayed after its successor was used, past the grace window.
        clock.advance(6 * SECOND);
        const attacker = await client.get('/me', { cookie: t0 });
        assert.equal(attacker.status, 401);
        assert.equal(alarms.length, 1, 'one reuse alarm');
        assert.equal((await client.get('/me')).status, 401, 'the whole family is revoked');
        assert.deepEqual(await manager.listForUser('alice'), []);
      }));

    test('theft: the old cookie replayed after the victim used the renewed one revokes the family', () =>
      withApp(async ({ client, manager, clock }) => {
        const alarms = reuses(manager);
        await client.login();
        const t0 = client.token!;
        clock.advance(16 * MINUTE);
        assert.equal((await client.get('/me')).status, 200);
        assert.notEqual(client.token, t0, 'renewed');
        assert.equal((await client.get('/me')).status, 200, 'the victim uses the new cookie');
        assert.equal(
          (await client.get('/me', { cookie: t0 })).status,
          200,
          'within the grace window: in flight',
        );
        clock.advance(6 * SECOND);
        assert.equal((await client.get('/me', { cookie: t0 })).status, 401, "the thief's replay");
        assert.equal((await client.get('/me')).status, 401, 'both parties must log in again');
        for (let i = 0; i < 3; i++) assert.equal((await client.get('/me', { cookie: t0 })).status, 401);
        assert.equal(alarms.length, 1, 'repeated replays raise one alarm');
      }));

    test('login and privilege rotations still kill the old cookie at once', () =>
      withApp(async ({ client, manager }) => {
        await client.post('/cart', { item: 'a' });
        const anon = client.token!;
        await client.login();
        assert.equal((await client.get('/me', { cookie: anon })).status, 401);
        const t1 = client.token!;
        assert.equal((await client.post('/reauth', { password: 'wonderland' })).status, 200);
        assert.equal((await client.get('/me', { cookie: t1 })).status, 401);
        assert.equal((await client.get('/me')).status, 200);
        assert.equal((await manager.listForUser('alice')).length, 1);
      }));

    test('a login flood from one client is refused with 429 and Retry-After; the user keeps at most 50 sessions', () =>
      withApp(async ({ client, manager }) => {
        const csrf = await client.csrf();
        const statuses: number[] = [];
        let limited: Response | null = null;
        for (let i = 0; i < 12; i++) {
          const res = await client.post(
            '/login',
            { username: 'alice', password: 'wonderland', remember: '1', _csrf: csrf },
            { cookie: null },
          );
          statuses.push(res.status);
          if (res.status === 429) limited ??= res;
          else await res.arrayBuffer();
        }
        assert.deepEqual(statuses.slice(0, 10), Array(10).fill(303), 'ten logins of one account pass');
        assert.deepEqual(statuses.slice(10), [429, 429], 'then the account is limited');
        assert.ok(limited);
        assert.ok(Number(limited.headers.get('retry-after')) >= 1, 'Retry-After');
        const p = await problemOf(limited);
        assert.equal(p.code, 'RATE_LIMITED');
        assert.match(p.contentType, /application\/problem\+json/);
        // Wrong passwords for ever new account names: the address runs out after 100 attempts.
        let refusedAt = -1;
        for (let i = 0; i < 110 && refusedAt < 0; i++) {
          const res = await client.post(
            '/login',
            { username: `guess${i}`, password: 'nope', _csrf: csrf },
            { cookie: null },
          );
          await res.arrayBuffer();
          if (res.status === 429) refusedAt = i;
        }
        assert.equal(refusedAt, 100 - 12, 'the address limit (100 per 15 min) counts every attempt');
        assert.ok((await manager.listForUser('alice')).length <= 50);
      }));

    test('a session whose data key left the key ring is no session: cookie cleared, login starts clean, no detail leaked', () =>
      withApp(async ({ client, store, clock }) => {
        const old = new SessionManager({
          store,
          clock,
          keys: keys(['retired-key-7', KEY_B]),
          creationRateLimit: false,
          logger: { warn: () => {} },
        });
        const issued = await old.create({ ip: '127.0.0.1', userAgent: 'node' }, { cart: ['old'] });
        client.token = issued.token;
        for (const path of ['/me', '/account', '/login']) {
          const res = await client.get(path, { cookie: issued.token });
          assert.ok(res.status < 500, `${path}: ${res.status}`);
          assert.doesNotMatch(await res.text(), /retired-key-7|key ring/);
          const c = setCookie(res);
          assert.ok(c && (isCleared(c) || c.value !== issued.token), `${path}: the stale cookie is replaced`);
        }
        const login = await client.login();
        assert.equal(login.status, 303);
        const account = await client.get('/account');
        assert.equal(account.status, 200);
        assert.match(await account.text(), /Cart: <span id="cart">empty/, 'no data carried');
      }));

    test('login racing cart updates: the pre-login token always dies', () =>
      withApp(async ({ app, manager }) => {
        for (let round = 0; round < 5; round++) {
          const c = new Client(app.url);
          await c.post('/cart', { item: 'apple' });
          const anon = c.token!;
          const csrf = await c.csrf();
          const carts = Array.from({ length: 3 }, () =>
            c.post('/cart', { item: 'pear' }, { cookie: anon }).then((r) => r.arrayBuffer()),
          );
          const login = c.post('/login', { username: `alice`, password: 'wonderland', _csrf: csrf });
          await Promise.all([...carts, login]);
          assert.equal(await stored(manager, anon), null, `round ${round}: the pre-login session is gone`);
          assert.equal((await c.get('/me', { cookie: anon })).status, 401);
        }
      }));

    test('every response that sets or clears a session cookie carries Cache-Control: no-store', () =>
      withApp(async ({ client, other, clock }) => {
        const responses: Array<[string, Response]> = [];
        responses.push(['GET /login (anonymous session for the CSRF token)', await other().get('/login')]);
        responses.push(['POST /cart (anonymous session)', await client.post('/cart', { item: 'a' })]);
        responses.push([
          'GET /me with an unknown cookie',
          await client.get('/me', { cookie: plantedToken() }),
        ]);
        clock.advance(16 * MINUTE);
        responses.push([
          'POST /cart renewing the anonymous token',
          await client.post('/cart', { item: 'b' }),
        ]);
        for (const [what, res] of responses) {
          assert.ok(setCookie(res), `${what}: sets or clears the cookie`);
          assert.match(res.headers.get('cache-control') ?? '', /no-store/, what);
          await res.arrayBuffer();
        }
      }));

    test('logout while the store cannot write: the cookie is cleared anyway and the response says so', () =>
      withApp(async ({ client, store }) => {
        await client.login();
        const csrf = await client.csrf('/account');
        store.failing.add('delete');
        let out: Response;
        try {
          out = await client.post('/logout', { _csrf: csrf });
        } finally {
          store.failing.clear();
        }
        assert.equal(out.status, 503);
        const c = setCookie(out);
        assert.ok(c && isCleared(c), 'the cookie is cleared whatever the store says');
        assert.equal(out.headers.get('clear-site-data'), '"cookies"');
        assert.match(out.headers.get('cache-control') ?? '', /no-store/);
        const body = (await out.json()) as { code: string; detail: string };
        assert.equal(body.code, 'STORE_UNAVAILABLE');
        assert.match(body.detail, /could not confirm/);
        assert.equal(client.token, null, 'the browser holds no session cookie');
      }));

    test('User-Agent binding: a browser mode switch keeps the session, another browser is refused', () =>
      withApp(async ({ client }) => {
        const mobile =
          'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36';
        const desktopSite =
          'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
        const firefox = 'Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0';
        const page = await client.get('/login', { headers: { 'user-agent': mobile } });
        const csrf = csrfFromHtml(await page.text());
        const login = await client.post(
          '/login',
          { username: 'alice', password: 'wonderland', _csrf: csrf },
          { headers: { 'user-agent': mobile } },
        );
        assert.equal(login.status, 303);
        const token = client.token!;
        assert.equal((await client.get('/me', { headers: { 'user-agent': desktopSite } })).status, 200);
        assert.equal((await client.get('/me', { headers: { 'user-agent': mobile } })).status, 200);
        assert.equal(
          (await client.get('/me', { cookie: token, headers: { 'user-agent': firefox } })).status,
          401,
          'the cookie replayed from another browser is refused',
        );
        assert.equal(
          (await client.get('/me', { headers: { 'user-agent': mobile } })).status,
          401,
          'and revoked',
        );
      }));

    test('bodies that do not parse get a 4xx problem, never a 500 or a stack trace', () =>
      withApp(async ({ app, client }) => {
        const csrf = await client.csrf();
        const host = new URL(app.url).host;
        const origin = new URL(app.url).origin;
        const send = (headers: string, body: Buffer | string) =>
          rawRequest(
            app.url,
            Buffer.concat([
              Buffer.from(
                `POST /cart HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${origin}\r\nCookie: ${COOKIE}=${client.token}\r\n` +
                  `${headers}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`,
              ),
              Buffer.from(body),
            ]),
          );
        const form = 'application/x-www-form-urlencoded';
        const cases: Array<[string, string, Buffer | string]> = [
          ['bad charset', `Content-Type: ${form}; charset=klingon\r\n`, `item=a&_csrf=${csrf}`],
          ['too many fields', `Content-Type: ${form}\r\n`, `${'a=1&'.repeat(1500)}_csrf=${csrf}`],
          ['bad gzip', `Content-Type: ${form}\r\nContent-Encoding: gzip\r\n`, Buffer.from('not gzip at all')],
          [
            'truncated multipart',
            'Content-Type: multipart/form-data; boundary=XyZ\r\n',
            '--XyZ\r\nContent-Disposition: form-data; name="item"\r\n\r\nap',
          ],
        ];
        for (const [what, headers, body] of cases) {
          const raw = await send(headers, body);
          const status = rawStatus(raw);
          assert.ok(status > 0 && status < 500, `${what}: status ${status}`);
          assert.doesNotMatch(raw, /\n\s+at |\/work\/|node_modules/, `${what}: no stack trace or path`);
          if (status >= 400) assert.match(raw, /application\/problem\+json/i, `${what}: problem JSON`);
        }
      }));

    test('cookie attributes: Secure, HttpOnly, Path=/, SameSite=Lax, no Domain, Max-Age only with remember-me', () =>
      withApp(async ({ client, other, manager }) => {
        const anon = await client.post('/cart', { item: 'a' });
        const login = await client.login();
        for (const res of [anon, login]) {
          const c = setCookie(res);
          assert.ok(c, 'a session cookie is set');
          assert.equal(c.name, COOKIE);
          assert.match(c.value, /^[A-Za-z0-9_-]{43}$/);
          assert.ok(c.attrs.has('secure'), 'Secure');
          assert.ok(c.attrs.has('httponly'), 'HttpOnly');
          assert.equal(c.attrs.get('path'), '/');
          assert.equal(c.attrs.get('samesite')?.toLowerCase(), 'lax');
          assert.ok(!c.attrs.has('domain'), 'no Domain');
          assert.ok(!c.attrs.has('max-age') && !c.attrs.has('expires'), 'a session cookie, not persistent');
        }
        const remembered = other();
        const res = await remembered.login({ remember: '1' });
        assert.equal(res.status, 303);
        const c = setCookie(res);
        assert.ok(c);
        const maxAge = Number(c.attrs.get('max-age'));
        const policy = manager.policy.rememberAbsoluteMs / 1000;
        assert.ok(maxAge > 0 && maxAge <= policy, `Max-Age ${maxAge} within the remember-me lifetime`);
        assert.ok(c.attrs.has('secure') && c.attrs.has('httponly') && !c.attrs.has('domain'));
      }));
  });
}
