/**
 * The example app on Express 5 (also runs on Express 4: pass it to `createApp`). Same routes as
 * every other example: GET /login, POST /login, GET /account, POST /cart, POST /logout, GET /me,
 * POST /reauth, POST /checkout; and POST /logout-everywhere (ends every session of the user, on
 * every app server sharing the store).
 * Run: `npm start` or `npx tsx --conditions=tessera-source examples/express/server.ts` (PORT, HOST, STORE=sqlite|memory|redis://…|postgres://…).
 */

import { type SessionManager, UnauthenticatedError } from '@tessera-sessions/core';
import {
  expressSessions,
  requireAuth,
  requireFresh,
  sessionErrorHandler,
} from '@tessera-sessions/core/express';
import type { DeviceBoundOptions } from '@tessera-sessions/core/http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import express from 'express';
import {
  accountPage,
  addToCart,
  boundPort,
  type CartData,
  checkPassword,
  exampleManager,
  listenAddress,
  loginPage,
  publicOrigin,
} from '../shared/app.ts';

/** Express 4 does not pass rejected promises to `next`; this wrapper does, for both versions. */
const handle =
  (fn: (req: Request, res: Response) => Promise<unknown> | unknown): RequestHandler =>
  (req: Request, res: Response, next: NextFunction) => {
    Promise.resolve()
      .then(() => fn(req, res))
      .catch(next);
  };

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Builds the example app (exported for tests). `lib` is the Express module: v5 by default, or v4. */
export function createApp(
  manager: SessionManager = exampleManager(),
  lib: typeof express = express,
  options: { deviceBound?: DeviceBoundOptions } = {},
) {
  const app = lib();
  app.disable('x-powered-by');
  const sessions = expressSessions(manager, {
    loginUrl: '/login',
    publicOrigin: publicOrigin(),
    deviceBound: options.deviceBound,
  });
  // Notes each request's arrival, so a token renewed during a slow upload is judged by it.
  app.use(sessions.arrival);
  // The body parser runs before the sessions, so the session middleware can read the `_csrf` form field.
  app.use(lib.urlencoded({ extended: false, limit: '16kb' }));
  app.use(sessions);

  const loginForm = handle(async (req, res) => {
    res.type('html').send(loginPage(await req.session.csrfToken()));
  });
  app.get('/', loginForm);
  app.get('/login', loginForm);

  app.post(
    '/login',
    handle(async (req, res) => {
      // Counted per address and per account before the password is checked (429 when over).
      await req.session.loginAttempt(String(req.body?.username ?? ''));
      const user = checkPassword(req.body?.username, req.body?.password);
      if (!user) {
        return res
          .status(401)
          .type('html')
          .send(loginPage(await req.session.csrfToken(), 'Wrong username or password.'));
      }
      await req.session.login(user, { rememberMe: req.body?.remember === '1' });
      res.redirect(303, '/account');
    }),
  );

  app.get(
    '/account',
    requireAuth(),
    handle(async (req, res) => {
      const cart = req.session.get<CartData>()?.cart ?? [];
      res.type('html').send(accountPage(req.session.userId!, cart, await req.session.csrfToken()));
    }),
  );

  app.post(
    '/cart',
    handle(async (req, res) => {
      await req.session.update<CartData>((d) => addToCart(d, str(req.body?.item)));
      if ((req.headers.accept ?? '').includes('text/html')) {
        return res.redirect(303, '/account');
      }
      res.json({ cart: req.session.get<CartData>()?.cart ?? [] });
    }),
  );

  app.post(
    '/logout',
    handle(async (req, res) => {
      await req.session.logout();
      res.redirect(303, '/login');
    }),
  );

  app.post(
    '/logout-everywhere',
    requireAuth(),
    handle(async (req, res) => {
      await manager.revokeAllForUser(req.session.userId!, {
        exceptSessionId: req.session.id ?? undefined,
      });
      await req.session.logout();
      res.redirect(303, '/login');
    }),
  );

  app.get('/me', (req, res) => {
    if (!req.session.authenticated) throw new UnauthenticatedError();
    res.json({ userId: req.session.userId, deviceBound: req.session.deviceBound });
  });

  app.post(
    '/reauth',
    requireAuth(),
    handle(async (req, res) => {
      if (!checkPassword(req.session.userId, req.body?.password)) {
        return res.status(401).set('cache-control', 'no-store').json({ ok: false, error: 'Wrong password.' });
      }
      await req.session.reauthenticate();
      res.json({ ok: true });
    }),
  );

  app.post('/checkout', requireFresh('5m'), (_req, res) => {
    res.json({ ok: true });
  });

  app.use((_req, res) => {
    res.status(404).type('text').send('Not found');
  });
  app.use(sessionErrorHandler({ all: true }));
  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { host, port } = listenAddress();
  const server = createApp().listen(port, host, () => {
    const shown = host === '127.0.0.1' || host === '::1' ? 'localhost' : host;
    console.log(
      `Tessera Express example on http://${shown}:${boundPort(server)}  (log in as alice / wonderland)`,
    );
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
