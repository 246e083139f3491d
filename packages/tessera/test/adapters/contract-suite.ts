/**
 * The adapter contract suite: the behaviour the shared handler gives every adapter, pinned per
 * adapter — option validation, the `csrf` option (on, manual, off) before and after body parsing,
 * `requireAuth`/`requireFresh` with durations, `onError`, `loginUrl` redirect versus problem JSON by
 * Accept, SESSION_EXPIRED, `clientIp`. A new adapter is done when this suite (and the conformance
 * suite in suite.ts) is green for it. Its test file builds a tiny app with these routes, passing
 * `options` to the adapter verbatim (creation must throw the adapter's ConfigError synchronously):
 *
 *   GET  /me          requireAuth()          → 200 { userId }
 *   GET  /fresh       requireFresh('1m')     → 200 { ok: true }
 *   GET  /fresh-ms    requireFresh(60_000)   → 200 { ok: true }
 *   GET  /token                              → 200 { token: await session.csrfToken() }
 *   POST /login       (form)                 → await session.login('alice'), 200 { userId }
 *   POST /state       (form)                 → 200 { ok: true }  (only the adapter's CSRF check runs)
 *   POST /verify      (form)                 → session.verifyCsrf(form._csrf), 200 { ok: true }
 *
 * Forms are application/x-www-form-urlencoded; the app parses them the framework's usual way (for
 * node:http the route reads the body and, when `session.csrfPending`, calls `verifyCsrf(form._csrf)`).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SessionManager } from '../../src/engine/session-manager.ts';
import { ConfigError } from '../../src/errors.ts';
import { Client, MINUTE, problemOf, SECOND, testManager } from './helpers.ts';
import type { AdapterApp } from './suite.ts';

/** Builds the contract app around `manager` with the adapter options `options`, listening on 127.0.0.1:0. */
export type ContractApp = (manager: SessionManager, options: Record<string, unknown>) => Promise<AdapterApp>;

export function defineContractSuite(name: string, start: ContractApp): void {
  async function withApp(
    options: Record<string, unknown>,
    run: (ctx: { client: Client; manager: SessionManager; advance(ms: number): void }) => Promise<void>,
  ): Promise<void> {
    const tm = testManager();
    const app = await start(tm.manager, options);
    try {
      await run({ client: new Client(app.url), manager: tm.manager, advance: (ms) => tm.clock.advance(ms) });
    } finally {
      await app.close();
    }
  }
  const token = async (client: Client): Promise<string> =>
    ((await (await client.get('/token')).json()) as { token: string }).token;
  const configError = async (options: Record<string, unknown>, field: RegExp) => {
    const { manager } = testManager();
    await assert.rejects(
      async () => {
        const app = await start(manager, options);
        await app.close();
      },
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.match(err.message, field);
        return true;
      },
    );
  };

  describe(`adapter contract: ${name}`, () => {
    test('options are validated: unknown keys, renamed keys and wrong types throw CONFIG_INVALID naming them', async () => {
      await configError({ verifyCSRF: false }, /`verifyCSRF`.*replaced by `csrf`/);
      await configError({ autoCsrf: false }, /`autoCsrf`.*csrf: \{ check: "manual" \}/);
      await configError({ loginURL: '/login' }, /`loginURL`.*did you mean `loginUrl`/);
      await configError({ sessionCookie: {} }, /`sessionCookie`.*not a known option/);
      await configError({ loginUrl: 5 }, /`loginUrl`.*non-empty string/);
      await configError({ csrf: true }, /`csrf`.*an object/);
      await configError({ csrf: { check: 'sometimes' } }, /`csrf\.check`/);
      await configError({ csrf: { fieldname: '_token' } }, /`csrf\.fieldname`.*did you mean `fieldName`/);
      await configError({ onError: 'log' }, /`onError`.*a function/);
      await configError({ clientIp: '1.2.3.4' }, /`clientIp`.*a function/);
      await configError({ publicOrigin: 'shop.example' }, /`publicOrigin`.*absolute http/);
      await configError({ cookie: { secure: false } }, /`cookie\.secure`/);
    });

    test('csrf on (default): refused cross-site before the route; headers or the form field decide', () =>
      withApp({}, async ({ client }) => {
        const csrf = await token(client);
        const attacks: Array<Record<string, string>> = [
          { 'sec-fetch-site': 'cross-site' },
          { origin: 'https://evil.example' },
        ];
        for (const headers of attacks) {
          const res = await client.post('/state', { _csrf: csrf }, { headers, sameOrigin: false });
          assert.equal(res.status, 403, JSON.stringify(headers));
          assert.equal((await problemOf(res)).code, 'CSRF_REJECTED');
        }
        assert.equal((await client.post('/state', {})).status, 200, 'same Origin');
        // No Origin, no Sec-Fetch-Site, no token header: the form field decides (after body parsing).
        assert.equal((await client.post('/state', { _csrf: csrf }, { sameOrigin: false })).status, 200);
        const missing = await client.post('/state', {}, { sameOrigin: false });
        assert.equal(missing.status, 403);
        assert.equal((await problemOf(missing)).code, 'CSRF_REJECTED');
        assert.equal((await client.post('/state', { _csrf: `${csrf}x` }, { sameOrigin: false })).status, 403);
        const header = { 'x-csrf-token': csrf };
        assert.equal((await client.post('/state', {}, { headers: header, sameOrigin: false })).status, 200);
      }));

    test("csrf: { check: 'manual' } leaves the check to the route; csrf: false turns the guard off", async () => {
      await withApp({ csrf: { check: 'manual' } }, async ({ client }) => {
        const cross = { headers: { 'sec-fetch-site': 'cross-site' }, sameOrigin: false };
        assert.equal((await client.post('/state', {}, cross)).status, 200, 'the adapter does not check');
        const res = await client.post('/verify', {}, cross);
        assert.equal(res.status, 403, 'verifyCsrf still refuses');
        assert.equal((await problemOf(res)).code, 'CSRF_REJECTED');
        const csrf = await token(client);
        assert.equal((await client.post('/verify', { _csrf: csrf }, { sameOrigin: false })).status, 200);
      });
      await withApp({ csrf: false }, async ({ client }) => {
        const cross = { headers: { 'sec-fetch-site': 'cross-site' }, sameOrigin: false };
        assert.equal((await client.post('/state', {}, cross)).status, 200);
        assert.equal((await client.post('/verify', {}, cross)).status, 200);
      });
    });

    test('requireAuth: problem JSON for APIs, a 303 to loginUrl for HTML, problem JSON without loginUrl', async () => {
      await withApp({ loginUrl: '/signin' }, async ({ client }) => {
        const api = await client.get('/me', { headers: { accept: 'application/json' } });
        assert.equal(api.status, 401);
        const p = await problemOf(api);
        assert.equal(p.code, 'UNAUTHENTICATED');
        assert.match(p.contentType, /application\/problem\+json/);
        const html = await client.get('/me', { headers: { accept: 'text/html,application/xhtml+xml' } });
        assert.equal(html.status, 303);
        assert.equal(html.headers.get('location'), '/signin');
        assert.equal((await client.post('/login', {})).status, 200);
        const me = await client.get('/me');
        assert.equal(me.status, 200);
        assert.equal(((await me.json()) as { userId: string }).userId, 'alice');
      });
      await withApp({}, async ({ client }) => {
        const html = await client.get('/me', { headers: { accept: 'text/html' } });
        assert.equal(html.status, 401);
        assert.equal((await problemOf(html)).code, 'UNAUTHENTICATED');
      });
    });

    test("requireFresh takes '1m' and 60000 alike: fresh within a minute of login, REAUTH_REQUIRED after", () =>
      withApp({}, async ({ client, advance }) => {
        assert.equal((await client.get('/fresh')).status, 401, 'needs a login first');
        await client.post('/login', {});
        advance(50 * SECOND);
        assert.equal((await client.get('/fresh')).status, 200);
        assert.equal((await client.get('/fresh-ms')).status, 200);
        advance(20 * SECOND);
        for (const path of ['/fresh', '/fresh-ms']) {
          const res = await client.get(path);
          assert.equal(res.status, 401, path);
          assert.equal((await problemOf(res)).code, 'REAUTH_REQUIRED');
        }
        assert.equal((await client.get('/me')).status, 200, 'still logged in');
      }));

    test('SESSION_EXPIRED: an expired session says so, in the problem and in the login redirect', () =>
      withApp({ loginUrl: '/login?next=%2Fme' }, async ({ client, advance }) => {
        await client.post('/login', {});
        const expired = client.token;
        advance(31 * MINUTE); // past the 30-minute idle timeout
        const api = await client.get('/me', { cookie: expired, headers: { accept: 'application/json' } });
        assert.equal(api.status, 401);
        const body = (await api.json()) as { code: string; detail: string };
        assert.equal(body.code, 'SESSION_EXPIRED');
        assert.match(body.detail, /expired/);
        const html = await client.get('/me', { cookie: expired, headers: { accept: 'text/html' } });
        assert.equal(html.status, 303);
        assert.equal(html.headers.get('location'), '/login?next=%2Fme&session=expired');
        // A cookie that never named a session is not "expired".
        const none = await client.get('/me', { cookie: null, headers: { accept: 'application/json' } });
        assert.equal((await problemOf(none)).code, 'UNAUTHENTICATED');
      }));

    test('onError sees every rendered error and may replace the response', async () => {
      const seen: string[] = [];
      const onError = (err: unknown, res: { status: number; problem: { code: string } }) => {
        seen.push(`${res.problem.code} ${res.status} ${(err as { code?: string }).code}`);
        if (res.problem.code !== 'UNAUTHENTICATED') return undefined;
        return { ...res, headers: { 'content-type': 'text/html' }, body: '<p>Please log in.</p>' };
      };
      await withApp({ onError }, async ({ client }) => {
        const me = await client.get('/me');
        assert.equal(me.status, 401);
        assert.equal(me.headers.get('content-type'), 'text/html');
        assert.equal(await me.text(), '<p>Please log in.</p>');
        const csrf = await client.post(
          '/state',
          {},
          { headers: { 'sec-fetch-site': 'cross-site' }, sameOrigin: false },
        );
        assert.equal(csrf.status, 403);
        assert.equal((await problemOf(csrf)).code, 'CSRF_REJECTED', 'undefined keeps the default response');
        assert.deepEqual(seen, ['UNAUTHENTICATED 401 UNAUTHENTICATED', 'CSRF_REJECTED 403 CSRF_REJECTED']);
      });
    });

    test('clientIp decides the address the engine sees', () =>
      withApp({ clientIp: () => '203.0.113.9' }, async ({ client, manager }) => {
        const ips: Array<string | null> = [];
        manager.events.on('*', (e) => ips.push(e.ip));
        assert.equal((await client.post('/login', {})).status, 200);
        assert.ok(ips.length > 0, 'the login emitted events');
        assert.deepEqual([...new Set(ips)], ['203.0.113.9']);
      }));
  });
}
