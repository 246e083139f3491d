/**
 * The example app on Hono (served by @hono/node-server). Same routes as every other example:
 * GET /login, POST /login, GET /account, POST /cart, POST /logout, GET /me, POST /reauth, POST /checkout.
 * Run: `npx tsx --conditions=tessera-source examples/hono/server.ts` (PORT, HOST, STORE=sqlite|memory).
 */
import { type ServerType, serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { SessionManager } from '@tessera-sessions/core';
import { honoSessions, requireAuth, requireFresh, type TesseraEnv } from '@tessera-sessions/core/hono';
import type { DeviceBoundOptions } from '@tessera-sessions/core/http';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
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

const field = (body: Record<string, unknown>, name: string): string | undefined => {
  const v = body[name];
  return typeof v === 'string' ? v : undefined;
};

/** Builds the example app (exported for tests); serve its `fetch` with `@hono/node-server`. */
export function createApp(
  manager: SessionManager = exampleManager(),
  options: { deviceBound?: DeviceBoundOptions } = {},
): Hono<TesseraEnv> {
  const app = new Hono<TesseraEnv>();
  const sessions = honoSessions(manager, {
    loginUrl: '/login',
    deviceBound: options.deviceBound,
    publicOrigin: publicOrigin(),
    clientIp: (c) => getConnInfo(c).remote.address ?? null,
  });
  app.use(bodyLimit({ maxSize: 16 * 1024 }));
  app.use(sessions);
  app.onError(sessions.onError);

  const loginForm = async (c: { get(key: 'session'): TesseraEnv['Variables']['session'] }, error?: string) =>
    loginPage(await c.get('session').csrfToken(), error);

  app.get('/', async (c) => c.html(await loginForm(c)));
  app.get('/login', async (c) => c.html(await loginForm(c)));

  app.post('/login', async (c) => {
    const body = await c.req.parseBody();
    const session = c.get('session');
    await session.loginAttempt(field(body, 'username') ?? '');
    const user = checkPassword(field(body, 'username'), field(body, 'password'));
    if (!user) return c.html(await loginForm(c, 'Wrong username or password.'), 401);
    await session.login(user, { rememberMe: field(body, 'remember') === '1' });
    return c.redirect('/account', 303);
  });

  app.get('/account', requireAuth(), async (c) => {
    const session = c.get('session');
    return c.html(
      accountPage(session.userId!, session.get<CartData>()?.cart ?? [], await session.csrfToken()),
    );
  });

  app.post('/cart', async (c) => {
    const body = await c.req.parseBody();
    const session = c.get('session');
    await session.update<CartData>((d) => addToCart(d, field(body, 'item')));
    if ((c.req.header('accept') ?? '').includes('text/html')) return c.redirect('/account', 303);
    return c.json({ cart: session.get<CartData>()?.cart ?? [] });
  });

  app.post('/logout', async (c) => {
    await c.get('session').logout();
    return c.redirect('/login', 303);
  });

  app.get('/me', requireAuth(), (c) =>
    c.json({ userId: c.get('session').userId, deviceBound: c.get('session').deviceBound }),
  );

  app.post('/reauth', requireAuth(), async (c) => {
    const body = await c.req.parseBody();
    const session = c.get('session');
    if (!checkPassword(session.userId, field(body, 'password')))
      return c.json({ ok: false, error: 'Wrong password.' }, 401);
    await session.reauthenticate();
    return c.json({ ok: true });
  });

  app.post('/checkout', requireFresh('5m'), (c) => c.json({ ok: true }));

  return app;
}

/** Serves the app on `port`/`host`; resolves once listening. */
export function listen(app: Hono<TesseraEnv>, port: number, host: string): Promise<ServerType> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port, hostname: host }, () => resolve(server));
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { host, port } = listenAddress();
  const server = await listen(createApp(), port, host);
  console.log(`Hono example on http://${host === '127.0.0.1' ? 'localhost' : host}:${boundPort(server)}`);
}
