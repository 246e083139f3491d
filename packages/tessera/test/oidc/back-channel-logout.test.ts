/**
 * OpenID Connect Back-Channel Logout 1.0 against a local provider stand-in (real JWKS over HTTP,
 * real signatures): the valid token ends exactly the sessions it names; forged, replayed, expired,
 * wrong-audience, nonce-bearing and event-less tokens are refused with 400 and end nothing.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import express from 'express';
import type { SessionEvent } from '../../src/engine/events.ts';
import { SessionManager } from '../../src/engine/session-manager.ts';
import { type BackChannelLogoutOptions, backChannelLogout } from '../../src/oidc/index.ts';
import { memoryStore } from '../../src/stores/memory.ts';
import { sqliteStore } from '../../src/stores/sqlite.ts';
import { listen } from '../adapters/helpers.ts';
import { FrozenClock, InstrumentedStore, keys } from '../helpers/engine.ts';
import { CLIENT_ID, EVENT, ISSUER, Provider } from './provider.ts';

let provider: Provider;
before(async () => {
  provider = await Provider.start();
});
after(() => provider.close());

function setup(options: Partial<BackChannelLogoutOptions> = {}) {
  const clock = new FrozenClock(Date.now());
  const store = new InstrumentedStore(memoryStore());
  const manager = new SessionManager({
    store,
    keys: keys(),
    clock,
    creationRateLimit: false,
    logger: { warn() {} },
  });
  const events: SessionEvent[] = [];
  manager.events.on('*', (e) => events.push(e));
  const logout = backChannelLogout(manager, {
    issuer: ISSUER,
    audience: CLIENT_ID,
    jwks: provider.jwksUrl,
    jwksCooldown: 0,
    ...options,
  });
  const nowS = () => Math.floor(clock.now() / 1000);
  const login = async (sid: string | null, sub = 'kc-user-1', user = 'alice') => {
    const { token } = await manager.login(null, user, { federated: { iss: ISSUER, sub, sid } });
    return token;
  };
  const alive = async (token: string) => (await manager.validate(token)).ok;
  const post = (logoutToken: string) =>
    logout.handle(new URLSearchParams({ logout_token: logoutToken }).toString());
  return { clock, store, manager, events, logout, nowS, login, alive, post };
}

describe('OIDC back-channel logout', () => {
  test('a valid logout token with a sid ends exactly that provider session', async () => {
    const { login, alive, post, nowS, events } = setup();
    const a = await login('kc-session-1');
    const b = await login('kc-session-1');
    const other = await login('kc-session-2');
    const local = (await setup().manager.login(null, 'alice')).token;
    const res = await post(await provider.logoutToken(nowS()));
    assert.equal(res.status, 200);
    assert.equal(res.revoked, 2);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(await alive(a), false);
    assert.equal(await alive(b), false);
    assert.equal(await alive(other), true, 'another provider session of the same user stays');
    assert.ok(local);
    const e = events.find((x) => x.type === 'session.backchannel_logout');
    assert.deepEqual(e && { issuer: e.issuer, revoked: e.revoked }, { issuer: ISSUER, revoked: 2 });
    assert.ok(!JSON.stringify(events).includes(a), 'no token in any event');
  });

  test('a token with only sub ends every session of that subject; with both, both must match', async () => {
    const { login, alive, post, nowS } = setup();
    const a = await login('s1');
    const b = await login(null);
    const bob = await login('s1', 'kc-user-2', 'bob');
    assert.equal(
      (await post(await provider.logoutToken(nowS(), { sid: 's1', sub: 'kc-user-2' }))).revoked,
      1,
    );
    assert.equal(await alive(bob), false);
    assert.equal(await alive(a), true, 'sid matched but sub did not');
    const res = await post(await provider.logoutToken(nowS(), { sid: undefined }));
    assert.equal(res.status, 200);
    assert.equal(res.revoked, 2);
    assert.equal(await alive(a), false);
    assert.equal(await alive(b), false);
  });

  test('tokens that must be refused: 400 invalid_request, and nothing ends', async () => {
    const { login, alive, post, nowS, events } = setup();
    const a = await login('kc-session-1');
    const now = nowS();
    const cases: Array<[string, Promise<string> | string, string]> = [
      [
        'forged (unpublished key, same kid)',
        Provider.attackerKey(provider.current.kid).then((k) => provider.logoutToken(now, {}, { key: k })),
        'signature',
      ],
      [
        'forged (unknown kid)',
        Provider.attackerKey().then((k) => provider.logoutToken(now, {}, { key: k })),
        'signature',
      ],
      ['expired (exp passed)', provider.logoutToken(now - 600, { exp: now - 300 }), 'expired'],
      ['too old (iat)', provider.logoutToken(now - 3600, { exp: now + 60 }), 'expired'],
      ['issued in the future', provider.logoutToken(now + 3600, { exp: now + 7200 }), 'claim-iat'],
      ['wrong audience', provider.logoutToken(now, { aud: 'another-app' }), 'claim-aud'],
      ['wrong issuer', provider.logoutToken(now, { iss: 'https://evil.example' }), 'claim-iss'],
      ['nonce present', provider.logoutToken(now, { nonce: 'n-0S6_WzA2Mj' }), 'nonce'],
      ['no events claim', provider.logoutToken(now, { events: undefined }), 'events'],
      [
        'events without the logout event',
        provider.logoutToken(now, { events: { 'http://example.com/other': {} } }),
        'events',
      ],
      ['logout event not an object', provider.logoutToken(now, { events: { [EVENT]: 'yes' } }), 'events'],
      ['neither sid nor sub', provider.logoutToken(now, { sid: undefined, sub: undefined }), 'sid-sub'],
      ['no jti', provider.logoutToken(now, { jti: undefined }), 'claim-jti'],
      ['no iat', provider.logoutToken(now, { iat: undefined }), 'claim-iat'],
      ['an ID token type', provider.logoutToken(now, {}, { typ: 'at+jwt' }), 'typ'],
      ['alg none', unsigned(now), 'malformed'],
      ['HS256', hmacSigned(now), 'algorithm'],
      ['not a JWT', 'hello', 'malformed'],
      ['oversized', `${'a'.repeat(20_000)}.b.c`, 'malformed'],
    ];
    for (const [what, tokenPromise, reason] of cases) {
      const res = await post(await tokenPromise);
      assert.equal(res.status, 400, `${what}: ${res.status}`);
      const body = JSON.parse(res.body) as { error: string; error_description: string };
      assert.equal(body.error, 'invalid_request', what);
      assert.equal(typeof body.error_description, 'string');
      const rejected = events.filter((e) => e.type === 'session.backchannel_logout_rejected').at(-1);
      assert.equal(rejected?.type === 'session.backchannel_logout_rejected' && rejected.reason, reason, what);
      assert.equal(await alive(a), true, `${what}: the session must survive`);
    }
  });

  test('a replayed token is refused the second time, even when it named nobody the first time', async () => {
    const { login, alive, post, nowS, clock } = setup();
    const token = await provider.logoutToken(nowS(), { sid: 'later' });
    assert.equal((await post(token)).status, 200);
    const a = await login('later');
    clock.advance(60_000);
    const replay = await post(token);
    assert.equal(replay.status, 400);
    assert.equal(JSON.parse(replay.body).error, 'invalid_request');
    assert.equal(await alive(a), true, 'a captured token cannot end a later session');
  });

  test('key rotation: a token signed with the provider’s new key is accepted after one JWKS fetch', async () => {
    const { login, alive, post, nowS } = setup();
    const a = await login('kc-session-1');
    const b = await login('kc-session-2');
    assert.equal((await post(await provider.logoutToken(nowS()))).status, 200);
    assert.equal(await alive(a), false);
    const before = provider.fetches;
    await provider.rotate();
    const res = await post(await provider.logoutToken(nowS(), { sid: 'kc-session-2' }));
    assert.equal(res.status, 200, res.body);
    assert.equal(provider.fetches, before + 1, 'the unknown kid caused exactly one refetch');
    assert.equal(await alive(b), false);
  });

  test('transport: POST form only, exactly one logout_token; a store outage is a 503 the provider may retry', async () => {
    const { logout, login, alive, nowS, store } = setup();
    const a = await login('kc-session-1');
    const token = await provider.logoutToken(nowS());
    const get = await logout.fetch(new Request('http://rp.test/bcl'));
    assert.equal(get.status, 405);
    const json = await logout.fetch(
      new Request('http://rp.test/bcl', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ logout_token: token }),
      }),
    );
    assert.equal(json.status, 400);
    assert.equal((await logout.handle('')).status, 400);
    assert.equal((await logout.handle(`logout_token=${token}&logout_token=${token}`)).status, 400);
    store.failing.add('*');
    const down = await logout.handle(`logout_token=${token}`);
    assert.equal(down.status, 503);
    assert.ok(!down.body.includes('ECONNREFUSED'), 'store errors are not leaked');
    store.failing.clear();
    assert.equal(await alive(a), true);
  });

  test('mounted in Express (with and without a body parser) and as a web handler', async () => {
    const { logout, login, alive, nowS } = setup();
    const app = express();
    app.post('/bcl-parsed', express.urlencoded({ extended: false }), (req, res) => logout.node(req, res));
    app.post('/bcl-raw', (req, res) => logout.node(req, res));
    const server = await listen(createServer(app));
    try {
      for (const path of ['/bcl-parsed', '/bcl-raw']) {
        const a = await login(path);
        const res = await fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ logout_token: await provider.logoutToken(nowS(), { sid: path }) }),
        });
        assert.equal(res.status, 200, path);
        assert.equal(await alive(a), false, path);
      }
    } finally {
      await server.close();
    }
    const a = await login('web');
    const res = await logout.fetch(
      new Request('http://rp.test/bcl', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: await provider.logoutToken(nowS(), { sid: 'web' }) }),
      }),
    );
    assert.equal(res.status, 200);
    assert.equal(await alive(a), false);
  });

  test('every node: a logout received by one app server ends the session another one serves (shared SQLite)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-bcl-'));
    try {
      const file = join(dir, 'sessions.db');
      const clock = new FrozenClock(Date.now());
      const node = () =>
        new SessionManager({
          store: sqliteStore({ database: new Database(file) }),
          keys: keys(),
          clock,
          creationRateLimit: false,
          logger: { warn() {} },
        });
      const nodeA = node();
      const nodeB = node();
      const { token } = await nodeB.login(null, 'alice', { federated: { iss: ISSUER, sub: 'u', sid: 'S' } });
      const receiver = backChannelLogout(nodeA, {
        issuer: ISSUER,
        audience: CLIENT_ID,
        jwks: provider.jwksUrl,
        jwksCooldown: 0,
      });
      const res = await receiver.handle(
        `logout_token=${await provider.logoutToken(Math.floor(clock.now() / 1000), { sid: 'S', sub: 'u' })}`,
      );
      assert.equal(res.status, 200);
      assert.equal(res.revoked, 1);
      assert.equal((await nodeB.validate(token)).ok, false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('configuration: HMAC or none cannot be allowed; a store without the index is a clear error', async () => {
    const clock = new FrozenClock();
    const manager = new SessionManager({
      store: memoryStore(),
      keys: keys(),
      clock,
      creationRateLimit: false,
    });
    assert.throws(
      () =>
        backChannelLogout(manager, {
          issuer: ISSUER,
          audience: CLIENT_ID,
          jwks: provider.jwksUrl,
          algorithms: ['HS256'],
        }),
      { code: 'CONFIG_INVALID' },
    );
    assert.throws(
      () => backChannelLogout(manager, { issuer: '', audience: CLIENT_ID, jwks: provider.jwksUrl }),
      {
        code: 'CONFIG_INVALID',
      },
    );
    const { listByFederated: _, ...bare } = memoryStore();
    const m2 = new SessionManager({ store: bare, keys: keys(), clock, creationRateLimit: false });
    await assert.rejects(m2.revokeFederated(ISSUER, { sid: 's' }), { code: 'CONFIG_INVALID' });
  });
});

function unsigned(now: number): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${b64({ alg: 'none', typ: 'logout+jwt' })}.${b64({
    iss: ISSUER,
    aud: CLIENT_ID,
    iat: now,
    jti: 'x',
    sid: 'kc-session-1',
    events: { [EVENT]: {} },
  })}.`;
}

function hmacSigned(now: number): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: 'HS256', typ: 'logout+jwt' })}.${b64({
    iss: ISSUER,
    aud: CLIENT_ID,
    iat: now,
    jti: 'y',
    sid: 'kc-session-1',
    events: { [EVENT]: {} },
  })}`;
  return `${input}.${createHmac('sha256', CLIENT_ID).update(input).digest('base64url')}`;
}
