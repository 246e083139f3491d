/**
 * passport + passport-local, unchanged, on Tessera's express-session compatible `req.session`
 * (Express 5 and Express 4): passport's login calls `regenerate` then sets `passport.user` and
 * `save`s; its logout clears `passport.user`, `save`s and `regenerate`s. Tessera must turn these
 * into a real login (new token, old one dead, `userId` set) and a real server-side logout.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import express4 from 'express4';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { checkPassword } from '../../../../examples/shared/app.ts';
import { expressSessions, sessionErrorHandler } from '../../src/adapters/express/index.ts';
import { sessionIdFromToken } from '../../src/crypto/token.ts';
import type { SessionManager } from '../../src/engine/session-manager.ts';
import { Client, isCleared, listen, setCookie, testManager } from './helpers.ts';

interface DemoUser {
  id: string;
  name: string;
}

/** A small, ordinary passport app: nothing in it knows about Tessera except the middleware line. */
function passportApp(manager: SessionManager, lib: typeof express) {
  const auth = new passport.Passport();
  auth.use(
    new LocalStrategy((username, password, done) => {
      const user = checkPassword(username, password);
      done(null, user ? { id: user, name: user.toUpperCase() } : false);
    }),
  );
  auth.serializeUser((user, done) => done(null, (user as DemoUser).id));
  auth.deserializeUser((id: string, done) => done(null, { id, name: id.toUpperCase() }));

  const app = lib();
  app.use(lib.urlencoded({ extended: false }));
  app.use(expressSessions(manager));
  app.use(auth.initialize());
  app.use(auth.session());

  app.post('/login', auth.authenticate('local', { failureRedirect: '/login?failed=1' }), (_req, res) => {
    res.redirect(303, '/whoami');
  });
  app.post('/login-keep', auth.authenticate('local', { keepSessionInfo: true }), (_req, res) => {
    res.redirect(303, '/whoami');
  });
  app.post('/logout', (req, res, next) => {
    req.logout((err) => (err ? next(err) : res.redirect(303, '/')));
  });
  app.get('/whoami', (req, res) => {
    res.json({
      user: (req.user as DemoUser | undefined) ?? null,
      userId: req.session.userId,
      authenticated: req.session.authenticated,
      sessionID: req.sessionID,
      views: req.session.views ?? 0,
    });
  });
  // express-session style data: plain properties, saved at the end of the request.
  app.post('/views', (req, res) => {
    req.session.views = ((req.session.views as number | undefined) ?? 0) + 1;
    res.json({ views: req.session.views });
  });
  // Two requests that each set a different key while both hold the same starting data.
  let waiting: Array<() => void> = [];
  app.post('/put/:key', async (req, res) => {
    void req.session.views; // load the data before the other request saves
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (waiting.length === 2) {
        for (const w of waiting) w();
        waiting = [];
      }
    });
    req.session[String(req.params.key)] = true;
    res.json({ ok: true });
  });
  app.use(sessionErrorHandler());
  return app;
}

const VARIANTS: Array<[string, typeof express]> = [
  ['express 5', express],
  ['express 4', express4],
];

for (const [name, lib] of VARIANTS) {
  describe(`passport + passport-local on Tessera (${name})`, () => {
    const tm = testManager();
    let app: { url: string; close(): Promise<void> };
    before(async () => {
      app = await listen(createServer(passportApp(tm.manager, lib)));
    });
    after(() => app.close());

    const whoami = async (client: Client, cookie?: string | null) => {
      const res = await client.get('/whoami', cookie === undefined ? {} : { cookie });
      assert.equal(res.status, 200);
      return (await res.json()) as {
        user: DemoUser | null;
        userId: string | null;
        authenticated: boolean;
        sessionID: string;
        views: number;
      };
    };
    const alive = async (manager: SessionManager, token: string) =>
      (await manager.validate(token, { userAgent: 'node', ip: '127.0.0.1' })).ok;

    test('express-session style properties persist across requests (no passport involved)', async () => {
      const c = new Client(app.url);
      assert.deepEqual(await (await c.post('/views')).json(), { views: 1 });
      const first = c.token;
      assert.ok(first, 'setting a property starts a session');
      assert.deepEqual(await (await c.post('/views')).json(), { views: 2 });
      assert.equal(c.token, first);
      const me = await whoami(c);
      assert.equal(me.views, 2);
      assert.equal(me.sessionID, sessionIdFromToken(first), 'req.sessionID is the public id (hash)');
      assert.notEqual(me.sessionID, first, 'req.sessionID is never the token');
    });

    test('concurrent requests setting different keys keep both (compare-and-set merge)', async () => {
      const c = new Client(app.url);
      await c.post('/views');
      tm.store.reset();
      const [a, b] = await Promise.all([c.post('/put/left'), c.post('/put/right')]);
      assert.equal(tm.store.count('update'), 3, 'one of the two saves lost the race and retried');
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      const r = await tm.manager.validate(c.token!, { userAgent: 'node', ip: '127.0.0.1' });
      assert.ok(r.ok);
      assert.deepEqual(tm.manager.readData(r.session), { views: 1, left: true, right: true });
    });

    test('passport login rotates the token, kills the pre-login one, and makes an authenticated session', async () => {
      const c = new Client(app.url);
      await c.post('/views');
      const anon = c.token!;
      const res = await c.post('/login', { username: 'alice', password: 'wonderland' });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/whoami');
      assert.match(res.headers.get('cache-control') ?? '', /no-store/);
      const authed = c.token!;
      assert.ok(authed);
      assert.notEqual(authed, anon, 'login issued a new token');
      assert.equal(await alive(tm.manager, anon), false, 'the pre-login token is dead');
      const me = await whoami(c);
      assert.deepEqual(me.user, { id: 'alice', name: 'ALICE' }, 'req.user works on later requests');
      assert.equal(me.userId, 'alice', 'Tessera knows the user');
      assert.equal(me.authenticated, true);
      assert.equal(me.views, 0, 'regenerate started an empty session (passport default)');
      const replay = await whoami(c, anon);
      assert.equal(replay.user, null, 'the pre-login cookie is not logged in');
      assert.equal(replay.userId, null);
      assert.equal((await whoami(c)).user?.id, 'alice', 'still logged in on the next request');
      const sessions = await tm.manager.listForUser('alice');
      assert.ok(sessions.some((s) => s.id === sessionIdFromToken(authed)));
    });

    test('wrong password: passport redirects to the failure page and nobody is logged in', async () => {
      const c = new Client(app.url);
      const res = await c.post('/login', { username: 'alice', password: 'nope' });
      assert.equal(res.headers.get('location'), '/login?failed=1');
      const me = await whoami(c);
      assert.equal(me.user, null);
      assert.equal(me.userId, null);
    });

    test('passport logout ends the session server-side; replaying the authenticated cookie fails', async () => {
      const c = new Client(app.url);
      await c.post('/login', { username: 'alice', password: 'wonderland' });
      const authed = c.token!;
      assert.equal((await whoami(c)).userId, 'alice');
      const out = await c.post('/logout');
      assert.equal(out.status, 303);
      assert.equal(out.headers.get('clear-site-data'), '"cookies"');
      const cleared = setCookie(out);
      assert.ok(cleared && isCleared(cleared), 'the cookie is cleared');
      assert.equal(await alive(tm.manager, authed), false, 'the record is gone');
      const replay = await whoami(c, authed);
      assert.equal(replay.user, null, 'replaying the authenticated cookie does not log in');
      assert.equal(replay.userId, null);
      assert.equal(replay.authenticated, false);
      assert.equal(
        (await tm.manager.listForUser('alice')).some((s) => s.id === sessionIdFromToken(authed)),
        false,
      );
    });

    test("passport's keepSessionInfo carries the anonymous data across the regenerate", async () => {
      const c = new Client(app.url);
      await c.post('/views');
      await c.post('/views');
      const anon = c.token!;
      const res = await c.post('/login-keep', { username: 'alice', password: 'wonderland' });
      assert.equal(res.status, 303);
      assert.notEqual(c.token, anon);
      assert.equal(await alive(tm.manager, anon), false);
      const me = await whoami(c);
      assert.equal(me.userId, 'alice');
      assert.equal(me.views, 2);
    });

    test('a cross-site passport login is refused before passport runs', async () => {
      const c = new Client(app.url);
      const res = await c.post(
        '/login',
        { username: 'alice', password: 'wonderland' },
        { headers: { origin: 'https://evil.example' }, sameOrigin: false },
      );
      assert.equal(res.status, 403);
      assert.equal(((await res.json()) as { code: string }).code, 'CSRF_REJECTED');
      assert.equal(c.token, null);
    });
  });
}

test('a Tessera login followed by express-session style writes keeps the user', async () => {
  const { manager } = testManager();
  const app = express();
  app.use(expressSessions(manager));
  app.post('/in', async (req, res) => {
    await req.session.login('bob');
    req.session.theme = 'dark';
    res.json({ userId: req.session.userId });
  });
  app.get('/me', (req, res) => {
    res.json({ userId: req.session.userId, theme: req.session.theme ?? null });
  });
  const server = await listen(createServer(app));
  try {
    const c = new Client(server.url);
    assert.deepEqual(await (await c.post('/in')).json(), { userId: 'bob' });
    assert.deepEqual(await (await c.get('/me')).json(), { userId: 'bob', theme: 'dark' });
  } finally {
    await server.close();
  }
});

describe('the express-session compatible surface, piece by piece (express 5)', () => {
  const tm = testManager();
  let server: { url: string; close(): Promise<void> };
  before(async () => {
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use(expressSessions(tm.manager));
    app.post('/set', (req, res) => {
      req.session.a = 1;
      req.session.nested = { b: [1, 2] };
      res.json({ keys: Object.keys(req.session), json: JSON.parse(JSON.stringify(req.session)) });
    });
    app.post('/reserved', (req, res) => {
      const errors: string[] = [];
      for (const key of ['login', 'userId', 'save', 'id']) {
        try {
          req.session[key] = 1;
        } catch (err) {
          errors.push((err as Error).name);
        }
      }
      (req.session as Record<string, unknown>).cookie = { maxAge: 1 }; // ignored: express-session apps sometimes do this
      res.json({ errors, cookieIsView: typeof req.session.cookie.httpOnly === 'boolean' });
    });
    app.post('/assign-user', (req, res) => {
      let message = '';
      try {
        (req.session as Record<string, unknown>).userId = 'mallory'; // would skip the login rotation
      } catch (err) {
        message = (err as Error).message;
      }
      res.json({ message, userId: req.session.userId, authenticated: req.session.authenticated });
    });
    app.post('/reload', (req, res, next) => {
      req.session.a = 'unsaved';
      req.session.reload((err) => (err ? next(err) : res.json({ a: req.session.a ?? null })));
    });
    app.post('/save-then-change', (req, res, next) => {
      req.session.a = 'saved';
      req.session.save((err) => {
        if (err) return next(err);
        res.json({ sessionID: req.sessionID });
      });
    });
    app.post('/regenerate', (req, res, next) => {
      req.session.regenerate((err) => {
        if (err) return next(err);
        req.session.fresh = true;
        res.json({ ok: true });
      });
    });
    app.post('/destroy', (req, res, next) => {
      req.session.destroy((err) => (err ? next(err) : res.json({ ok: true })));
    });
    app.post('/bump', (req, res) => {
      req.session.n = ((req.session.n as number | undefined) ?? 0) + 1;
      res.json({ n: req.session.n });
    });
    app.get('/data', (req, res) => {
      res.json(req.session.get() ?? null);
    });
    app.post('/remember-login', (req, res, next) => {
      req.session.cookie.maxAge = 30 * 24 * 3600 * 1000; // express-session idiom, before the login is saved
      req.session.regenerate((err) => {
        if (err) return next(err);
        req.session.passport = { user: 'alice' };
        req.session.save((e) => (e ? next(e) : res.json({ userId: req.session.userId })));
      });
    });
    app.use(sessionErrorHandler());
    server = await listen(createServer(app));
  });
  after(() => server.close());

  test('data are the own enumerable properties: Object.keys and JSON show data only', async () => {
    const c = new Client(server.url);
    const body = await (await c.post('/set')).json();
    assert.deepEqual(body, { keys: ['a', 'nested'], json: { a: 1, nested: { b: [1, 2] } } });
    assert.deepEqual(await (await c.get('/data')).json(), { a: 1, nested: { b: [1, 2] } });
  });

  test('API names cannot be overwritten by data; assigning a cookie object is ignored', async () => {
    const c = new Client(server.url);
    const body = await (await c.post('/reserved')).json();
    assert.deepEqual(body, {
      errors: ['TypeError', 'TypeError', 'TypeError', 'TypeError'],
      cookieIsView: true,
    });
  });

  test('req.session.userId = x is refused with an error that says to call login() (fixation)', async () => {
    const c = new Client(server.url);
    await c.post('/bump');
    const anon = c.token;
    const body = (await (await c.post('/assign-user')).json()) as Record<string, unknown>;
    assert.match(String(body.message), /cannot be assigned.*req\.session\.login\(userId\).*fixation/);
    assert.equal(body.userId, null);
    assert.equal(body.authenticated, false);
    assert.equal(c.token, anon, 'no cookie change: nobody was logged in');
  });

  test('reload drops unsaved changes; save writes at once', async () => {
    const c = new Client(server.url);
    await c.post('/set');
    assert.deepEqual(await (await c.post('/reload')).json(), { a: 1 });
    assert.deepEqual(((await c.get('/data').then((r) => r.json())) as { a: unknown }).a, 1);
    const saved = (await (await c.post('/save-then-change')).json()) as { sessionID: string };
    assert.equal(saved.sessionID, sessionIdFromToken(c.token!));
    assert.equal(((await c.get('/data').then((r) => r.json())) as { a: unknown }).a, 'saved');
  });

  test('regenerate kills the old token and the new session gets a new one', async () => {
    const c = new Client(server.url);
    await c.post('/set');
    const old = c.token!;
    const res = await c.post('/regenerate');
    assert.equal(res.status, 200);
    assert.ok(c.token && c.token !== old, 'a new token');
    assert.equal(res.headers.get('clear-site-data'), null, 'no Clear-Site-Data for a regenerate');
    assert.deepEqual(await (await c.get('/data')).json(), { fresh: true });
    assert.equal(await (await c.get('/data', { cookie: old })).json(), null, 'the old token is dead');
  });

  test('destroy ends the session server-side and clears the cookie', async () => {
    const c = new Client(server.url);
    await c.post('/set');
    const old = c.token!;
    const res = await c.post('/destroy');
    assert.equal(res.headers.get('clear-site-data'), '"cookies"');
    assert.equal(c.token, null);
    assert.equal(await (await c.get('/data', { cookie: old })).json(), null);
  });

  test('cookie.maxAge set before a passport-style login asks for a remember-me session', async () => {
    const c = new Client(server.url);
    const res = await c.post('/remember-login');
    assert.deepEqual(await res.json(), { userId: 'alice' });
    const cookie = setCookie(res);
    assert.ok(cookie && Number(cookie.attrs.get('max-age')) > 24 * 3600, 'a persistent remember-me cookie');
  });

  test('a failed end-of-request save replaces the response with 503 problem JSON', async () => {
    const c = new Client(server.url);
    await c.post('/set');
    tm.store.failing.add('update');
    try {
      const res = await c.post('/bump');
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as { code: string }).code, 'STORE_UNAVAILABLE');
    } finally {
      tm.store.failing.clear();
    }
  });
});

test('the body parser must run first: after the sessions, the _csrf field is not seen (csrf check: manual)', async () => {
  const { manager } = testManager();
  const wrong = express();
  wrong.use(expressSessions(manager));
  wrong.use(express.urlencoded({ extended: false }));
  wrong.get('/token', async (req, res) => {
    res.json({ token: await req.session.csrfToken() });
  });
  wrong.post('/x', (_req, res) => {
    res.json({ ok: true });
  });
  wrong.use(sessionErrorHandler());
  const manual = express();
  manual.use(expressSessions(manager, { csrf: { check: 'manual' } }));
  manual.use(express.urlencoded({ extended: false }));
  manual.post('/x', (req, res) => {
    req.session.verifyCsrf(); // reads req.body._csrf, parsed by now
    res.json({ ok: true });
  });
  manual.use(sessionErrorHandler());
  const a = await listen(createServer(wrong));
  const b = await listen(createServer(manual));
  try {
    const c = new Client(a.url);
    const { token } = (await (await c.get('/token')).json()) as { token: string };
    assert.equal((await c.post('/x', { _csrf: token }, { sameOrigin: false })).status, 403);
    assert.equal(
      (await c.post('/x', {}, { sameOrigin: false, headers: { 'x-csrf-token': token } })).status,
      200,
    );
    const d = new Client(b.url);
    d.token = c.token;
    assert.equal((await d.post('/x', { _csrf: token }, { sameOrigin: false })).status, 200);
    assert.equal((await d.post('/x', { _csrf: 'nope' }, { sameOrigin: false })).status, 403);
  } finally {
    await a.close();
    await b.close();
  }
});
