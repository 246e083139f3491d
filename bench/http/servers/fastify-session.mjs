// Fastify 5 + @fastify/session (its default in-memory store). Plain JavaScript: @fastify/session
// and tessera/fastify both declare `request.session`, so the two cannot share one type-checked program.
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import RedisStore from 'connect-redis';
import Fastify from 'fastify';
import { Redis } from 'ioredis';

// With REDIS_URL: connect-redis (ioredis) as the store (it speaks the express-session store API
// @fastify/session accepts), and a 3-item cart in the session.
const store = process.env.REDIS_URL
  ? new RedisStore({ client: new Redis(process.env.REDIS_URL), prefix: `fsess${process.pid}:` })
  : undefined;

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
  if (process.env.BENCH_CART === '1') request.session.set('cart', ['book', 'pen', 'mug']);
  return reply.code(204).send();
});
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ port: app.server.address().port, pid: process.pid })}\n`);
