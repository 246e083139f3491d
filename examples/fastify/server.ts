/**
 * The example app on Fastify 5. Same routes as every other example:
 * GET /login, POST /login, GET /account, POST /cart, POST /logout, GET /me, POST /reauth, POST /checkout.
 * Run: `npx tsx --conditions=tessera-source examples/fastify/server.ts` (PORT, HOST, STORE=sqlite|memory).
 */
import formbody from '@fastify/formbody';
import type { SessionManager } from '@tessera-sessions/core';
import { fastifySessions, requireAuth, requireFresh } from '@tessera-sessions/core/fastify';
import type { DeviceBoundOptions } from '@tessera-sessions/core/http';
import Fastify, { type FastifyInstance } from 'fastify';
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

type Form = Record<string, string | undefined>;
const field = (body: unknown, name: string): string | undefined => {
  const v = body !== null && typeof body === 'object' ? (body as Form)[name] : undefined;
  return typeof v === 'string' ? v : undefined;
};

/** Builds the example app (exported for tests); call `listen` on it. */
export function createApp(
  manager: SessionManager = exampleManager(),
  options: { logger?: boolean; deviceBound?: DeviceBoundOptions } = {},
): FastifyInstance {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 16 * 1024 });
  app.register(formbody);
  app.register(
    fastifySessions(manager, {
      loginUrl: '/login',
      publicOrigin: publicOrigin(),
      deviceBound: options.deviceBound,
    }),
  );

  const html = 'text/html; charset=utf-8';
  const loginForm = async (request: { session: { csrfToken(): Promise<string> } }, error?: string) =>
    loginPage(await request.session.csrfToken(), error);

  app.get('/', async (request, reply) => reply.type(html).send(await loginForm(request)));
  app.get('/login', async (request, reply) => reply.type(html).send(await loginForm(request)));

  app.post('/login', async (request, reply) => {
    await request.session.loginAttempt(field(request.body, 'username') ?? '');
    const user = checkPassword(field(request.body, 'username'), field(request.body, 'password'));
    if (!user)
      return reply
        .code(401)
        .type(html)
        .send(await loginForm(request, 'Wrong username or password.'));
    await request.session.login(user, { rememberMe: field(request.body, 'remember') === '1' });
    return reply.redirect('/account', 303);
  });

  app.get('/account', { preHandler: requireAuth() }, async (request, reply) => {
    const cart = request.session.get<CartData>()?.cart ?? [];
    return reply
      .type(html)
      .send(accountPage(request.session.userId!, cart, await request.session.csrfToken()));
  });

  app.post('/cart', async (request, reply) => {
    await request.session.update<CartData>((d) => addToCart(d, field(request.body, 'item')));
    if ((request.headers.accept ?? '').includes('text/html')) return reply.redirect('/account', 303);
    return { cart: request.session.get<CartData>()?.cart ?? [] };
  });

  app.post('/logout', async (request, reply) => {
    await request.session.logout();
    return reply.redirect('/login', 303);
  });

  app.get('/me', { preHandler: requireAuth() }, async (request) => ({
    userId: request.session.userId,
    deviceBound: request.session.deviceBound,
  }));

  app.post('/reauth', { preHandler: requireAuth() }, async (request, reply) => {
    if (!checkPassword(request.session.userId, field(request.body, 'password'))) {
      return reply.code(401).send({ ok: false, error: 'Wrong password.' });
    }
    await request.session.reauthenticate();
    return { ok: true };
  });

  app.post('/checkout', { preHandler: requireFresh('5m') }, async () => ({ ok: true }));

  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { host, port } = listenAddress();
  const app = createApp(exampleManager(), { logger: true });
  await app.listen({ port, host });
  console.log(
    `Fastify example on http://${host === '127.0.0.1' ? 'localhost' : host}:${boundPort(app.server)}`,
  );
}
