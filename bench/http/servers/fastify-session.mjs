// Fastify 5 + @fastify/session (its default in-memory store). Plain JavaScript: @fastify/session
// and tessera/fastify both declare `request.session`, so the two cannot share one type-checked program.
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import RedisStore from 'connect-redis';
import Fastify from 'fastify';
import { Redis } from 'ioredis';

// With SESSION_STORE=redis and REDIS_URL: connect-redis (ioredis) as the store (it speaks the express-session store API
// @fastify/session accepts), and a 3-item cart in the session.
const store =
  process.env.SESSION_STORE === 'redis' && process.env.REDIS_URL
    ? new RedisStore({ client: new Redis(process.env.REDIS_URL), prefix: `fsess${process.pid}:` })
    : undefined;

const CART = {
  cart: [
    { sku: 'SKU-10442', name: 'Espresso beans, 1 kg', qty: 2, priceCents: 2490 },
    { sku: 'SKU-20017', name: 'Ceramic mug', qty: 1, priceCents: 1200 },
    { sku: 'SKU-31808', name: 'Milk frother', qty: 1, priceCents: 3999 },
  ],
};

const app = Fastify({ logger: false });
await app.register(fastifyCookie);
await app.register(fastifySession, {
  secret: 'a bench secret that is at least thirty-two characters long',
  cookie: { secure: false, httpOnly: true, sameSite: 'lax' },
  saveUninitialized: false,
  ...(store ? { store } : {}),
});
app.get('/me', async (request, reply) => {
  const userId = request.session.get('userId');
  if (!userId) return reply.code(401).send({ error: 'unauthenticated' });
  return { userId };
});
app.get('/bench-login', async (request, reply) => {
  await request.session.regenerate();
  request.session.set('userId', 'alice');
  if (request.query.cart === '1') request.session.set('cart', CART.cart);
  return reply.code(204).send();
});
// N more logged-in sessions with the cart, written straight into the store (for the peak-RSS figure).
app.get('/bench-seed', async (request, reply) => {
  const n = Math.min(100_000, Number(request.query.n) || 0);
  const cookie = { originalMaxAge: null, expires: null, httpOnly: true, path: '/', sameSite: 'lax' };
  for (let i = 0; i < n; i++)
    await new Promise((resolve, reject) =>
      request.sessionStore.set(`seed-${i}`, { cookie, userId: `seed-${i}`, cart: CART.cart }, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  return reply.code(204).send();
});
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ port: app.server.address().port, pid: process.pid })}\n`);
