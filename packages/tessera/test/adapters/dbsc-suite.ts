/**
 * Device Bound Session Credentials through every adapter: a protocol-level DBSC browser
 * (`dbsc-browser.ts`, real P-256 keys, the exact headers and proofs) registers, refreshes and
 * keeps its session; thieves with copied cookie jars, other keys, replayed proofs, expired
 * challenges, `alg: none`, HMAC and oversized tokens are refused. An adapter test file plugs its
 * example app in with `defineDbscSuite(name, start)`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SessionEvent } from '../../src/engine/events.ts';
import type { SessionManager } from '../../src/engine/session-manager.ts';
import type { DeviceBoundOptions } from '../../src/http/dbsc/index.ts';
import type { SessionRecord } from '../../src/store/types.ts';
import {
  DbscBrowser,
  deviceKey,
  hmacProof,
  noneProof,
  parseChallenges,
  parseRegistration,
  refreshProof,
  registrationProof,
  signJwt,
} from './dbsc-browser.ts';
import { type FrozenClock, MINUTE, testManager } from './helpers.ts';
import type { AdapterApp } from './suite.ts';

const BOUND = '__Host-sid-bound';
const REGISTER = '/.tessera/dbsc/register';
const REFRESH = '/.tessera/dbsc/refresh';

interface Ctx {
  manager: SessionManager;
  clock: FrozenClock;
  events: SessionEvent[];
  app: AdapterApp;
  browser(options?: { supportsDbsc?: boolean; alg?: 'ES256' | 'RS256' }): DbscBrowser;
  /** The live records of alice (straight from the store). */
  records(): Promise<SessionRecord[]>;
  failures(): Array<Extract<SessionEvent, { type: 'session.dbsc_proof_failed' }>>;
}

export function defineDbscSuite(
  name: string,
  start: (manager: SessionManager, options: { deviceBound: DeviceBoundOptions }) => Promise<AdapterApp>,
): void {
  async function withApp(deviceBound: DeviceBoundOptions, run: (ctx: Ctx) => Promise<void>): Promise<void> {
    const tm = testManager();
    const store = tm.store;
    const events: SessionEvent[] = [];
    tm.manager.events.on('*', (e) => events.push(e));
    const app = await start(tm.manager, { deviceBound });
    try {
      await run({
        manager: tm.manager,
        clock: tm.clock,
        events,
        app,
        browser: (o) => new DbscBrowser(app.url, tm.clock, o),
        records: () => store.listByUser('alice'),
        failures: () =>
          events.filter(
            (e): e is Extract<SessionEvent, { type: 'session.dbsc_proof_failed' }> =>
              e.type === 'session.dbsc_proof_failed',
          ),
      });
    } finally {
      await app.close();
    }
  }
  const me = async (res: Response) => {
    assert.equal(res.status, 200, `GET /me answered ${res.status}`);
    return (await res.json()) as { userId: string; deviceBound: boolean };
  };
  /** Logs a fresh browser in and returns it with the registration offer it got (not yet used). */
  const offered = async (b: DbscBrowser) => {
    const page = await b.fetch('/login');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
    const res = await b.fetch('/login', { form: { username: 'alice', password: 'wonderland', _csrf: csrf } });
    assert.equal(res.status, 303);
    const offer = parseRegistration(res.headers.get('secure-session-registration'));
    assert.ok(offer, 'the login response offers registration');
    return offer;
  };

  describe(`DBSC through ${name}`, () => {
    test('login offers registration; the browser registers a P-256 key and gets a bound cookie and instructions', () =>
      withApp({}, async ({ browser, records, events, manager }) => {
        const b = browser();
        const offer = await offered(b);
        assert.deepEqual(offer.algorithms, ['ES256', 'RS256']);
        assert.equal(offer.path, REGISTER);
        assert.ok(offer.challenge && offer.challenge.length > 40);
        const res = await b.register(offer);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('cache-control'), 'no-store');
        const body = (await res.json()) as Record<string, unknown>;
        assert.equal(body.refresh_url, REFRESH);
        assert.deepEqual(body.scope, { include_site: false });
        assert.deepEqual(body.credentials, [
          { type: 'cookie', name: BOUND, attributes: 'Path=/; Secure; HttpOnly; SameSite=Lax' },
        ]);
        const bound = res.headers.getSetCookie().find((c) => c.startsWith(`${BOUND}=`));
        assert.ok(bound, 'a bound cookie is set');
        assert.match(bound, /Max-Age=600/);
        assert.match(bound, /HttpOnly/);
        assert.match(bound, /Secure/);
        assert.ok(
          parseChallenges(res.headers.get('secure-session-challenge')).get(body.session_identifier as string),
          'the next challenge is sent ahead',
        );
        const [rec] = await records();
        assert.equal(rec?.deviceBinding?.id, body.session_identifier);
        assert.deepEqual(rec?.deviceBinding?.jwk, {
          kty: 'EC',
          crv: 'P-256',
          x: b.session!.key.jwk.x,
          y: b.session!.key.jwk.y,
        });
        assert.equal((await me(await b.request('/me'))).deviceBound, true, '"this device is bound"');
        const [listed] = await manager.listForUser('alice');
        assert.equal(listed?.deviceBound, true, 'the devices page can show which sessions are bound');
        assert.ok(events.some((e) => e.type === 'session.dbsc_registered'));
        // No event, log or header carries a token.
        assert.ok(!JSON.stringify(events).includes(b.cookie('__Host-sid')!));
      }));

    test('RS256 keys register too; the quoted (sf-string) header form is accepted', () =>
      withApp({}, async ({ browser }) => {
        const b = browser({ alg: 'RS256' });
        const offer = await offered(b);
        const key = deviceKey('RS256');
        const res = await b.fetch(offer.path, {
          method: 'POST',
          headers: { 'secure-session-response': `"${registrationProof(key, offer.challenge!)}"` },
        });
        assert.equal(res.status, 200);
      }));

    test('when the bound cookie expires the browser refreshes with a proof, and the session goes on', () =>
      withApp({}, async ({ browser, clock, events, records }) => {
        const b = browser();
        await b.login();
        assert.ok(b.session);
        const boundBefore = b.cookie(BOUND);
        clock.advance(11 * MINUTE);
        assert.equal(b.cookie(BOUND), undefined, 'the bound cookie expired (Max-Age)');
        const res = await b.request('/me');
        assert.equal((await me(res)).userId, 'alice');
        assert.equal(b.refreshes, 1, 'the browser refreshed once, before the deferred request');
        assert.notEqual(b.cookie(BOUND), boundBefore);
        assert.ok(events.some((e) => e.type === 'session.dbsc_refreshed'));
        // Without a cached challenge the server asks for one (403) and the browser signs it.
        b.session!.cachedChallenge = null;
        clock.advance(11 * MINUTE);
        const before = b.sentProofs.length;
        assert.equal((await me(await b.request('/me'))).deviceBound, true);
        assert.equal(b.sentProofs.length, before + 1);
        // Across Tessera's own renewal (15 min) and refreshes, one live session, never reuse.
        for (let i = 0; i < 6; i++) {
          clock.advance(7 * MINUTE);
          await me(await b.request('/me'));
        }
        assert.equal((await records()).length, 1);
        assert.ok(!events.some((e) => e.type === 'session.reuse' || e.type === 'session.revoked'));
        assert.ok(events.some((e) => e.type === 'session.rotated' && e.reason === 'renewal'));
      }));

    test('a stolen cookie jar works only until the bound cookie expires; then the family is revoked', () =>
      withApp({}, async ({ browser, clock, records, failures }) => {
        const victim = browser();
        await victim.login();
        const thief = victim.stealCookies();
        assert.equal(
          (await me(await thief.fetch('/me'))).userId,
          'alice',
          'a fresh copy works (DBSC bounds the window, it does not close it)',
        );
        clock.advance(11 * MINUTE);
        const res = await thief.fetch('/me');
        assert.equal(res.status, 401, 'the expired bound cookie no longer proves anything');
        assert.equal((await records()).length, 0, 'the whole family is revoked');
        const f = failures().at(-1);
        assert.equal(f?.stage, 'request');
        assert.equal(f?.action, 'revoke');
        assert.equal(f?.reason, 'bound-cookie-invalid');
        // A forged bound cookie (right shape, wrong MAC) is no better.
        const v2 = browser();
        await v2.login();
        const t2 = v2.stealCookies();
        t2.jar.set(BOUND, { value: `${clock.now().toString(36)}.${'A'.repeat(43)}`, expiresAt: null });
        assert.equal((await t2.fetch('/me')).status, 401);
        // Dropping the bound cookie altogether: served only within the registration grace (requests
        // already in flight when the key was registered), treated as stolen after it.
        const v3 = browser();
        await v3.login();
        const t3 = v3.stealCookies();
        t3.jar.delete(BOUND);
        assert.equal((await t3.fetch('/me')).status, 200, 'within registrationGrace (10 s)');
        clock.advance(11_000);
        assert.equal((await t3.fetch('/me')).status, 401);
        assert.equal(failures().at(-1)?.reason, 'bound-cookie-missing');
        assert.equal((await v3.fetch('/me')).status, 401, 'both parties must log in again');
      }));

    test('the thief cannot refresh: no proof gets a challenge, a proof by another key is refused', () =>
      withApp({}, async ({ browser, clock, failures }) => {
        const victim = browser();
        await victim.login();
        const thief = victim.stealCookies();
        thief.session = { ...victim.session!, key: deviceKey(), cachedChallenge: null };
        clock.advance(11 * MINUTE);
        const res = await thief.refresh();
        assert.equal(res.status, 400);
        assert.equal(
          res.headers.getSetCookie().some((c) => c.startsWith(`${BOUND}=`)),
          false,
        );
        assert.equal(failures().at(-1)?.reason, 'signature');
        assert.equal(failures().at(-1)?.stage, 'refresh');
        // The victim's own browser still refreshes.
        assert.equal((await me(await victim.request('/me'))).deviceBound, true);
      }));

    test('a replayed refresh proof and an expired challenge are refused', () =>
      withApp({}, async ({ browser, clock, failures }) => {
        const b = browser();
        await b.login();
        clock.advance(11 * MINUTE);
        await me(await b.request('/me'));
        const used = b.sentProofs.at(-1)!;
        const replay = await b.fetch(REFRESH, {
          method: 'POST',
          headers: { 'sec-secure-session-id': b.session!.id, 'secure-session-response': used },
        });
        assert.equal(replay.status, 403, 'the challenge was used: a new one is demanded');
        assert.equal(
          replay.headers.getSetCookie().some((c) => c.startsWith(`${BOUND}=`)),
          false,
        );
        assert.equal(failures().at(-1)?.reason, 'challenge');
        // A challenge issued on demand lives one minute.
        const ask = await b.fetch(REFRESH, {
          method: 'POST',
          headers: { 'sec-secure-session-id': b.session!.id },
        });
        assert.equal(ask.status, 403);
        const challenge = parseChallenges(ask.headers.get('secure-session-challenge')).get(b.session!.id)!;
        clock.advance(2 * MINUTE);
        const late = await b.fetch(REFRESH, {
          method: 'POST',
          headers: {
            'sec-secure-session-id': b.session!.id,
            'secure-session-response': refreshProof(b.session!.key, challenge),
          },
        });
        assert.equal(late.status, 403);
        assert.equal(
          late.headers.getSetCookie().some((c) => c.startsWith(`${BOUND}=`)),
          false,
        );
      }));

    test('registration refuses alg none, HMAC, a mismatched JWK, a wrong typ, a foreign or expired challenge and oversized tokens', () =>
      withApp({}, async ({ browser, clock, failures, records }) => {
        const b = browser();
        const offer = await offered(b);
        const key = deviceKey();
        const other = deviceKey();
        const post = (jwt: string) =>
          b.fetch(offer.path, { method: 'POST', headers: { 'secure-session-response': jwt } });
        const attempts: Array<[string, string, string]> = [
          ['alg none, empty signature', noneProof(key, offer.challenge!), 'malformed'],
          ['alg none, junk signature', noneProof(key, offer.challenge!, 'AAAA'), 'algorithm'],
          ['HS256 keyed with the public key', hmacProof(key, offer.challenge!, true), 'algorithm'],
          [
            'signed by one key, another in the header',
            signJwt({ alg: 'ES256', typ: 'dbsc+jwt', jwk: other.jwk }, { jti: offer.challenge }, key),
            'signature',
          ],
          [
            'typ jwt',
            signJwt({ alg: 'ES256', typ: 'JWT', jwk: key.jwk }, { jti: offer.challenge }, key),
            'malformed',
          ],
          [
            'private key in the header',
            signJwt(
              { alg: 'ES256', typ: 'dbsc+jwt', jwk: key.privateKey.export({ format: 'jwk' }) },
              { jti: offer.challenge },
              key,
            ),
            'malformed',
          ],
          ['made-up challenge', registrationProof(key, 'not-a-challenge'), 'challenge'],
          ['oversized', registrationProof(key, offer.challenge!, { pad: 'x'.repeat(9000) }), 'malformed'],
        ];
        for (const [what, jwt, reason] of attempts) {
          const res = await post(jwt);
          assert.equal(res.status, 400, `${what}: answered ${res.status}`);
          assert.equal(
            res.headers.getSetCookie().some((c) => c.startsWith(`${BOUND}=`)),
            false,
            what,
          );
          assert.equal(failures().at(-1)?.reason, reason, what);
        }
        assert.equal((await records())[0]?.deviceBinding ?? null, null, 'nothing was bound');
        // Another session's challenge does not register a key here ("someone else's session").
        const other2 = browser();
        const foreign = await offered(other2);
        assert.equal((await post(registrationProof(key, foreign.challenge!))).status, 400);
        assert.equal(failures().at(-1)?.reason, 'challenge');
        // The offer expires after five minutes; nobody is logged out by a failed registration.
        clock.advance(6 * MINUTE);
        assert.equal((await post(registrationProof(key, offer.challenge!))).status, 400);
        assert.equal((await me(await b.fetch('/me'))).deviceBound, false, 'still signed in, unbound');
        assert.equal(
          failures().every((f) => f.action === 'refuse'),
          true,
        );
      }));

    test('a registration needs the session it was offered to, and binds it only once', () =>
      withApp({}, async ({ browser, app }) => {
        const b = browser();
        const offer = await offered(b);
        const key = deviceKey();
        const jwt = registrationProof(key, offer.challenge!);
        const anonymous = await fetch(new URL(offer.path, app.url), {
          method: 'POST',
          headers: { 'secure-session-response': jwt },
        });
        assert.equal(anonymous.status, 401, 'no session cookie, no registration');
        assert.equal(
          (await b.fetch(offer.path, { method: 'POST', headers: { 'secure-session-response': jwt } })).status,
          200,
        );
        const again = await b.fetch(offer.path, {
          method: 'POST',
          headers: { 'secure-session-response': registrationProof(deviceKey(), offer.challenge!) },
        });
        assert.equal(again.status, 400, 'a second key cannot replace the first');
      }));

    test('refresh for a session id that is not this session’s, or after logout, ends the browser’s DBSC session', () =>
      withApp({}, async ({ browser, clock }) => {
        const b = browser();
        await b.login();
        const wrong = await b.fetch(REFRESH, {
          method: 'POST',
          headers: { 'sec-secure-session-id': 'someone-else' },
        });
        assert.equal(wrong.status, 200);
        assert.deepEqual(await wrong.json(), { continue: false });
        const missing = await b.fetch(REFRESH, { method: 'POST' });
        assert.equal(
          missing.status,
          400,
          'Sec-Secure-Session-Id is required (cross-site pages cannot send it)',
        );
        const csrf = /name="_csrf" value="([^"]+)"/.exec(await (await b.request('/account')).text())?.[1];
        const out = await b.request('/logout', { form: { _csrf: csrf ?? '' } });
        assert.equal(out.status, 303);
        assert.equal(b.cookie(BOUND), undefined, 'logout expires the bound cookie');
        clock.advance(MINUTE);
        const after = await b.refresh();
        assert.deepEqual(await after.json(), { continue: false });
        assert.equal(b.session, null);
      }));

    test('Secure-Session-Skipped: that request gets no session, and nobody is logged out', () =>
      withApp({}, async ({ browser, clock, records, events }) => {
        const b = browser();
        await b.login();
        clock.advance(11 * MINUTE);
        const res = await b.fetch('/me', {
          headers: { 'secure-session-skipped': `unreachable;session_identifier="${b.session!.id}"` },
        });
        assert.equal(res.status, 401);
        assert.equal(
          res.headers.getSetCookie().some((c) => c.startsWith('__Host-sid=')),
          false,
          'the cookie is kept',
        );
        assert.equal((await records()).length, 1);
        assert.ok(events.some((e) => e.type === 'session.dbsc_skipped' && e.reason === 'unreachable'));
        assert.equal((await me(await b.request('/me'))).deviceBound, true, 'the next refresh restores it');
      }));

    test('browsers without DBSC keep ordinary cookie sessions in optional mode', () =>
      withApp({}, async ({ browser, clock, records }) => {
        const b = browser({ supportsDbsc: false });
        await b.login();
        for (let i = 0; i < 5; i++) {
          clock.advance(12 * MINUTE);
          assert.equal((await me(await b.request('/me'))).deviceBound, false);
        }
        assert.equal((await records())[0]?.deviceBinding ?? null, null);
        assert.equal((await records()).length, 1);
      }));

    test('step-up offers registration to an unbound session, and never to a bound one', () =>
      withApp({}, async ({ browser }) => {
        const plain = browser({ supportsDbsc: false });
        await plain.login();
        const reauth = await plain.request('/reauth', { form: { password: 'wonderland' } });
        assert.equal(reauth.status, 200);
        const offer = parseRegistration(reauth.headers.get('secure-session-registration'));
        assert.ok(offer, 'an unbound session is offered registration at step-up');
        const bound = browser();
        await bound.login();
        const again = await bound.request('/reauth', { form: { password: 'wonderland' } });
        assert.equal(again.status, 200);
        assert.equal(again.headers.get('secure-session-registration'), null);
        assert.equal(
          (await me(await bound.request('/me'))).deviceBound,
          true,
          'the binding survives the rotation',
        );
        // Ordinary responses never offer registration (a copied cookie must not be able to bind itself).
        assert.equal((await plain.request('/me')).headers.get('secure-session-registration'), null);
      }));

    test('required-for: a fresh proof is demanded at once; a DBSC browser passes by itself, a copied jar is revoked', () =>
      withApp({ mode: 'required-for', requiredAuthLevel: 1 }, async ({ browser, clock, records }) => {
        const b = browser();
        await b.login();
        const thief = b.stealCookies();
        clock.advance(2 * MINUTE); // the bound cookie is still valid, but the proof is 2 minutes old
        const checkout = await b.request('/checkout', { method: 'POST' });
        assert.equal(checkout.status, 200, `the DBSC browser refreshed and retried (${checkout.status})`);
        assert.ok(b.refreshes >= 1);
        clock.advance(2 * MINUTE);
        const first = await thief.fetch('/checkout', { method: 'POST' });
        assert.equal(first.status, 307, 'the copied bound cookie is not proof enough');
        assert.equal(first.headers.get('location'), '/checkout');
        assert.ok(
          first.headers.getSetCookie().some((c) => c.startsWith(`${BOUND}=;`)),
          'the bound cookie is expired',
        );
        const follow = await thief.fetch('/checkout', { method: 'POST' });
        assert.equal(follow.status, 401, 'without the key there is no fresh cookie: treated as stolen');
        assert.equal((await records()).length, 0);
        // A browser without DBSC cannot reach the routes that require a bound session.
        const plain = browser({ supportsDbsc: false });
        await plain.login();
        const refused = await plain.request('/checkout', { method: 'POST' });
        assert.equal(refused.status, 403);
        assert.equal(((await refused.json()) as { code: string }).code, 'DEVICE_BINDING_REQUIRED');
      }));

    test('onMissingProof step-up: the session stays, but is flagged and sensitive actions need re-authentication', () =>
      withApp({ onMissingProof: 'step-up' }, async ({ browser, clock, records }) => {
        const b = browser();
        await b.login();
        const thief = b.stealCookies();
        thief.jar.delete(BOUND);
        clock.advance(11_000);
        const res = await thief.fetch('/checkout', { method: 'POST' });
        assert.equal(res.status, 401);
        assert.equal(((await res.json()) as { code: string }).code, 'REAUTH_REQUIRED');
        const [rec] = await records();
        assert.equal(rec?.stepUpRequired, true);
      }));
  });
}
