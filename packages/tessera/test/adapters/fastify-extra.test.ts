/**
 * Fastify-specific behaviour of `@tessera-sessions/core/fastify` beyond the conformance suite: plugin
 * encapsulation, the error handler handing foreign errors on, the CSRF guard running before body
 * parsing, Set-Cookie replacement on the reply, and the preHandler helpers.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { fastifySessions, requireAuth, requireFresh } from '../../src/adapters/fastify/index.ts';
import type { SessionManager } from '../../src/engine/session-manager.ts';
import {
  Client,
  COOKIE,
  isCleared,
  MINUTE,
  plantedToken,
  problemOf,
  setCookie,
  setCookies,
  testManager,
} from './helpers.ts';

/** The client as the binding policy sees Node's fetch. */
const NODE_FETCH = { userAgent: 'node', ip: '127.0.0.1' };
const apps: FastifyInstance[] = [];
after(() => Promise.all(apps.map((a) => a.close())));

async function serve(app: FastifyInstance): Promise<string> {
  apps.push(app);
  return app.listen({ port: 0, host: '127.0.0.1' });
}

/** A small app: login via the engine, plus routes that exercise the plugin. */
function loginRoutes(app: FastifyInstance): void {
  app.post('/login', async (request) => {
    await request.session.login('alice');
    return { ok: true };
  });
}

describe('@tessera-sessions/core/fastify', () => {
  test('the plugin is encapsulated: a sibling context gets no session, no hooks, no CSRF guard', async () => {
    const { manager } = testManager();
    const app = Fastify();
    app.register(async (scoped) => {
      await scoped.register(fastifySessions(manager));
      scoped.get('/in', async (request) => ({
        hasSession: request.session !== null,
        tessera: scoped.hasDecorator('tessera'),
      }));
      scoped.post('/in', async () => ({ ok: true }));
    });
    app.get('/out', async (request) => ({
      hasSession: (request as { session?: unknown }).session !== undefined,
      tessera: app.hasDecorator('tessera'),
    }));
    app.post('/out', async () => ({ ok: true }));
    const url = await serve(app);
    const planted = `${COOKIE}=${plantedToken()}`;

    const inside = await fetch(`${url}/in`, { headers: { cookie: planted } });
    assert.deepEqual(await inside.json(), { hasSession: true, tessera: true });
    const cleared = setCookie(inside);
    assert.ok(cleared && isCleared(cleared), 'inside, an unknown cookie is cleared');

    const outside = await fetch(`${url}/out`, { headers: { cookie: planted } });
    assert.deepEqual(await outside.json(), { hasSession: false, tessera: false });
    assert.equal(setCookie(outside), undefined, 'outside, the plugin does not run');

    const crossSite = { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } };
    assert.equal((await fetch(`${url}/in`, crossSite)).status, 403);
    assert.equal((await fetch(`${url}/out`, crossSite)).status, 200, 'the CSRF guard does not leak out');
  });

  test('options are per context: two registrations with different cookies coexist', async () => {
    const { manager } = testManager();
    const app = Fastify();
    const routes = (scope: FastifyInstance) => {
      loginRoutes(scope);
      scope.get('/me', { preHandler: requireAuth() }, async (request) => ({
        userId: request.session.userId,
      }));
    };
    app.register(
      async (scope) => {
        await scope.register(fastifySessions(manager));
        routes(scope);
      },
      { prefix: '/shop' },
    );
    app.register(
      async (scope) => {
        await scope.register(fastifySessions(manager, { cookie: { name: '__Host-admin' } }));
        routes(scope);
      },
      { prefix: '/admin' },
    );
    const url = await serve(app);
    const shop = await fetch(`${url}/shop/login`, {
      method: 'POST',
      headers: { origin: new URL(url).origin },
    });
    assert.equal(setCookies(shop).length, 1);
    assert.equal(setCookies(shop, '__Host-admin').length, 0);
    const admin = await fetch(`${url}/admin/login`, {
      method: 'POST',
      headers: { origin: new URL(url).origin },
    });
    const adminCookie = setCookie(admin, '__Host-admin');
    assert.ok(adminCookie);
    assert.equal(setCookies(admin).length, 0);
    const me = await fetch(`${url}/admin/me`, { headers: { cookie: `__Host-admin=${adminCookie.value}` } });
    assert.deepEqual(await me.json(), { userId: 'alice' });
    const wrongScope = await fetch(`${url}/shop/me`, {
      headers: { cookie: `__Host-admin=${adminCookie.value}` },
    });
    assert.equal(wrongScope.status, 401);
  });

  test('errors that are not Tessera errors go on to the parent error handler', async () => {
    const { manager } = testManager();
    const app = Fastify();
    const seen: string[] = [];
    app.setErrorHandler((err: Error & { statusCode?: number }, _request, reply) => {
      seen.push(err.message);
      return reply.code(err.statusCode ?? 500).send({ parent: err.message });
    });
    app.register(async (scope) => {
      await scope.register(fastifySessions(manager));
      scope.get('/teapot', async () => {
        throw Object.assign(new Error('short and stout'), { statusCode: 418 });
      });
      scope.get('/me', { preHandler: requireAuth() }, async () => ({}));
    });
    const url = await serve(app);
    const teapot = await fetch(`${url}/teapot`);
    assert.equal(teapot.status, 418);
    assert.deepEqual(await teapot.json(), { parent: 'short and stout' });
    const me = await fetch(`${url}/me`);
    assert.equal(me.status, 401);
    assert.equal((await problemOf(me)).code, 'UNAUTHENTICATED');
    assert.deepEqual(seen, ['short and stout'], 'Tessera errors are rendered by the plugin');
  });

  test('a cross-site POST is refused before its body is parsed (403, not 415)', async () => {
    const { manager } = testManager();
    const app = Fastify();
    await app.register(fastifySessions(manager));
    app.post('/upload', async () => ({ ok: true }));
    const url = await serve(app);
    const res = await fetch(`${url}/upload`, {
      method: 'POST',
      headers: { 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-unknown' },
      body: 'x',
    });
    assert.equal(res.status, 403);
    assert.equal((await problemOf(res)).code, 'CSRF_REJECTED');
  });

  test('the form field is read from a parsed form body when no header decides', async () => {
    const { manager } = testManager();
    const app = Fastify();
    app.register(formbody);
    await app.register(fastifySessions(manager));
    app.get('/token', async (request) => ({ token: await request.session.csrfToken() }));
    app.post('/act', async () => ({ ok: true }));
    const url = await serve(app);
    const t = await fetch(`${url}/token`);
    const cookie = `${COOKIE}=${setCookie(t)!.value}`;
    const { token } = (await t.json()) as { token: string };
    const form = (body: string) =>
      fetch(`${url}/act`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
    assert.equal((await form(`_csrf=${encodeURIComponent(token)}`)).status, 200);
    assert.equal((await form('_csrf=nope')).status, 403);
    assert.equal(
      (await form(`_csrf=${encodeURIComponent(token)}&_csrf=${encodeURIComponent(token)}`)).status,
      403,
    );
    const json = await fetch(`${url}/act`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ _csrf: token }),
    });
    assert.equal(json.status, 200, 'a JSON body field counts as the form field too');
  });

  test('one Set-Cookie per cookie name; other cookies on the reply are kept', async () => {
    const { manager } = testManager();
    const app = Fastify();
    await app.register(fastifySessions(manager));
    app.post('/twice', async (request, reply) => {
      reply.header('set-cookie', 'theme=dark; Path=/');
      await request.session.ensure();
      await request.session.login('alice');
      reply.header('set-cookie', 'lang=en; Path=/');
      return { ok: true };
    });
    const url = await serve(app);
    const res = await fetch(`${url}/twice`, { method: 'POST', headers: { origin: new URL(url).origin } });
    assert.equal(res.status, 200);
    const all = res.headers.getSetCookie();
    assert.equal(setCookies(res).length, 1, all.join(' | '));
    assert.ok(all.some((c) => c.startsWith('theme=dark')));
    assert.ok(all.some((c) => c.startsWith('lang=en')));
    const me = await manager.validate(setCookie(res)!.value, NODE_FETCH);
    assert.ok(me.ok && me.session.userId === 'alice', 'the surviving cookie is the logged-in one');
  });

  test("requireFresh('5m') and a renewed token reaching the client even when CSRF refuses", async () => {
    const { manager, clock } = testManager();
    const app = Fastify();
    app.register(formbody);
    await app.register(fastifySessions(manager));
    loginRoutes(app);
    app.post('/pay', { preHandler: [requireAuth(), requireFresh('5m')] }, async () => ({ ok: true }));
    const url = await serve(app);
    const client = new Client(url);
    assert.equal((await client.post('/login')).status, 200);
    assert.equal((await client.post('/pay')).status, 200);
    clock.advance(6 * MINUTE);
    const stale = await client.post('/pay');
    assert.equal(stale.status, 401);
    assert.equal((await problemOf(stale)).code, 'REAUTH_REQUIRED');
    // Past the renewal interval the next request rotates the token; a refused request must still
    // deliver the new cookie, or the client would replay the old one and trip reuse detection.
    clock.advance(10 * MINUTE);
    const before = client.token;
    const refused = await client.post('/pay', {}, { headers: { 'sec-fetch-site': 'cross-site' } });
    assert.equal(refused.status, 403);
    assert.ok(client.token && client.token !== before, 'the renewed cookie was delivered with the 403');
    assert.equal((await client.get('/nope')).status, 404);
    const ok = await manager.validate(client.token, NODE_FETCH);
    assert.ok(ok.ok);
  });
});

/** Type-level check: the decorators are typed without casts. */
export function typed(app: FastifyInstance, manager: SessionManager): void {
  app.register(fastifySessions(manager, { loginUrl: '/login' }));
  app.get('/typed', async (request) => {
    const id: string | null = request.session.userId;
    const handler = app.tessera.csrfField;
    return { id, handler };
  });
}
