// Fastify 5 + @fastify/session (its default in-memory store). Plain JavaScript: @fastify/session
// and tessera/fastify both declare `request.session`, so the two cannot share one type-checked program.
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import Fastify from 'fastify';

const app = Fastify({ logger: false });
await app.register(fastifyCookie);
await app.register(fastifySession, {
  secret: 'a bench secret that is at least thirty-two characters long',
  cookie: { secure: false, httpOnly: true, sameSite: 'lax' },
  saveUninitialized: false,
});
app.get('/me', async (request, reply) => {
  const userId = request.session.get('userId');
  if (!userId) return reply.code(401).send({ error: 'unauthenticated' });
  return { userId };
});
app.get('/bench-login', async (request, reply) => {
  await request.session.regenerate();
  request.session.set('userId', 'alice');
  return reply.code(204).send();
});
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ port: app.server.address().port, pid: process.pid })}\n`);
