/**
 * Hono-specific behaviour of `@tessera-sessions/core/hono` beyond the conformance suite: the session's headers
 * reach a handler's own Response (mutable or immutable), cookies the handler set survive, a CSRF
 * refusal passes through a custom onError as an HTTPException and still delivers a renewed cookie.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, describe, test } from 'node:test';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { honoSessions, requireAuth, requireFresh, type TesseraEnv } from '../../src/adapters/hono/index.ts';
import type { SessionManager } from '../../src/engine/session-manager.ts';
import { Client, COOKIE, listen, MINUTE, problemOf, setCookie, setCookies, testManager } from './helpers.ts';

const NODE_FETCH = { userAgent: 'node', ip: '127.0.0.1' };
const closers: Array<() => Promise<void>> = [];
after(() => Promise.all(closers.map((c) => c())));

async function serve(app: Hono<TesseraEnv>): Promise<string> {
  const { url, close } = await listen(createAdaptorServer({ fetch: app.fetch }) as Server);
  closers.push(close);
  return url;
}

function appWith(manager: SessionManager): Hono<TesseraEnv> {
  const app = new Hono<TesseraEnv>();
  const sessions = honoSessions(manager);
  app.use(sessions);
  app.onError(sessions.onError);
  return app;
}

describe('@tessera-sessions/core/hono', () => {
  test('on @hono/node-server the client address is known without a clientIp option', async () => {
    const { manager } = testManager();
    const seen: Array<string | null> = [];
    manager.events.on('session.created', (e) => seen.push(e.ip));
    const app = appWith(manager);
    app.post('/start', async (c) => {
      await c.get('session').ensure();
      return c.text('ok');
    });
    const url = await serve(app);
    const res = await fetch(`${url}/start`, { method: 'POST', headers: { origin: new URL(url).origin } });
    assert.equal(res.status, 200);
    assert.equal(seen.length, 1);
    assert.match(seen[0] ?? '', /^(::ffff:)?127\.0\.0\.1$/, 'the socket address reaches the engine');
  });

  test("headers reach a handler's own Response, even one with immutable headers", async () => {
    const { manager } = testManager();
    const app = appWith(manager);
    app.post('/own', async (c) => {
      await c.get('session').ensure();
      return new Response('plain', { headers: { 'content-type': 'text/plain' } });
    });
    app.post('/redirect', async (c) => {
      await c.get('session').login('alice');
      // Response.redirect() returns a Response whose headers are immutable.
      return Response.redirect('http://127.0.0.1/account', 303);
    });
    const url = await serve(app);
    const origin = new URL(url).origin;
    const own = await fetch(`${url}/own`, { method: 'POST', headers: { origin } });
    assert.equal(await own.text(), 'plain');
    assert.ok(setCookie(own), 'the new session cookie is on the handler-built response');
    const redirect = await fetch(`${url}/redirect`, {
      method: 'POST',
      headers: { origin },
      redirect: 'manual',
    });
    assert.equal(redirect.status, 303);
    assert.equal(redirect.headers.get('location'), 'http://127.0.0.1/account');
    assert.equal(setCookies(redirect).length, 1);
    assert.match(redirect.headers.get('cache-control') ?? '', /no-store/);
    const me = await manager.validate(setCookie(redirect)!.value, NODE_FETCH);
    assert.ok(me.ok && me.session.userId === 'alice');
  });

  test('cookies the handler sets itself are kept next to the session cookie', async () => {
    const { manager } = testManager();
    const app = appWith(manager);
    app.post('/both', async (c) => {
      c.header('set-cookie', 'theme=dark; Path=/', { append: true });
      await c.get('session').ensure();
      await c.get('session').login('alice');
      return c.json({ ok: true });
    });
    const url = await serve(app);
    const res = await fetch(`${url}/both`, { method: 'POST', headers: { origin: new URL(url).origin } });
    assert.equal(res.status, 200);
    const all = res.headers.getSetCookie();
    assert.ok(
      all.some((c) => c.startsWith('theme=dark')),
      all.join(' | '),
    );
    assert.equal(setCookies(res).length, 1, 'one Set-Cookie for the session cookie (the logged-in one)');
  });

  test('a CSRF refusal is an HTTPException: a custom onError passes it through, renewed cookie included', async () => {
    const { manager, clock } = testManager();
    const app = new Hono<TesseraEnv>();
    app.use(honoSessions(manager));
    const seen: string[] = [];
    app.onError((err, c) => {
      seen.push(err.constructor.name);
      if (err instanceof HTTPException) return err.getResponse();
      return c.text('custom', 500);
    });
    app.post('/login', async (c) => {
      await c.get('session').login('alice');
      return c.json({ ok: true });
    });
    app.post('/act', requireAuth(), (c) => c.json({ ok: true }));
    const url = await serve(app);
    const client = new Client(url);
    assert.equal((await client.post('/login')).status, 200);
    clock.advance(16 * MINUTE);
    const before = client.token;
    const refused = await client.post('/act', {}, { headers: { 'sec-fetch-site': 'cross-site' } });
    assert.equal(refused.status, 403);
    assert.equal((await problemOf(refused)).code, 'CSRF_REJECTED');
    assert.ok(client.token && client.token !== before, 'the renewed cookie was delivered with the 403');
    assert.deepEqual(seen, ['HTTPException']);
    assert.equal((await client.post('/act')).status, 200);
  });

  test("requireFresh('5m'), and the form field read with parseBody only when needed", async () => {
    const { manager, clock } = testManager();
    const app = appWith(manager);
    app.get('/token', async (c) => c.json({ token: await c.get('session').csrfToken() }));
    app.post('/login', async (c) => {
      await c.get('session').login('alice');
      return c.json({ ok: true });
    });
    app.post('/pay', requireAuth(), requireFresh('5m'), async (c) => {
      const body = await c.req.parseBody();
      return c.json({ ok: true, item: body.item ?? null });
    });
    const url = await serve(app);
    const t = await fetch(`${url}/token`);
    let cookie = `${COOKIE}=${setCookie(t)!.value}`;
    const { token } = (await t.json()) as { token: string };
    const form = (path: string, body: string) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
    const login = await form('/login', `_csrf=${encodeURIComponent(token)}`);
    assert.equal(login.status, 200);
    cookie = `${COOKIE}=${setCookie(login)!.value}`;
    const freshToken = (await (await fetch(`${url}/token`, { headers: { cookie } })).json()) as {
      token: string;
    };
    const pay = await form('/pay', `item=book&_csrf=${encodeURIComponent(freshToken.token)}`);
    assert.deepEqual(await pay.json(), { ok: true, item: 'book' }, 'the handler can parse the body again');
    assert.equal((await form('/pay', 'item=book&_csrf=wrong')).status, 403);
    clock.advance(6 * MINUTE);
    const stale = await form('/pay', `item=book&_csrf=${encodeURIComponent(freshToken.token)}`);
    assert.equal(stale.status, 401);
    assert.equal((await problemOf(stale)).code, 'REAUTH_REQUIRED');
  });

  test('onError: HTTPExceptions keep their response, other errors become a 500 problem that leaks nothing', async () => {
    const { manager } = testManager();
    const app = appWith(manager);
    app.get('/teapot', () => {
      throw new HTTPException(418, { message: 'short and stout' });
    });
    app.get('/boom', () => {
      throw new Error('secret internals');
    });
    const url = await serve(app);
    const teapot = await fetch(`${url}/teapot`);
    assert.equal(teapot.status, 418);
    assert.equal(await teapot.text(), 'short and stout');
    const original = console.error;
    console.error = () => {};
    try {
      const boom = await fetch(`${url}/boom`);
      assert.equal(boom.status, 500);
      const text = await boom.text();
      assert.doesNotMatch(text, /secret/);
      assert.equal((JSON.parse(text) as { code: string }).code, 'INTERNAL_ERROR');
    } finally {
      console.error = original;
    }
  });
});
