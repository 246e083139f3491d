/** Fastify 5 + Tessera (`@tessera-sessions/core/fastify`): `GET /me` behind `requireAuth()`. */

import { fastifySessions, requireAuth } from '@tessera-sessions/core/fastify';
import Fastify from 'fastify';
import { benchManager, benchQuery, CART, HOST, PUBLIC_ORIGIN, ready, seedSessions, USER } from './common.ts';

const app = Fastify({ logger: false });
const manager = await benchManager();
await app.register(fastifySessions(manager, { publicOrigin: PUBLIC_ORIGIN }));
app.get('/me', { preHandler: requireAuth() }, async (request) => ({ userId: request.session.userId }));
app.get('/bench-login', async (request, reply) => {
  await request.session.login(USER);
  if (benchQuery(request.url).cart) await request.session.set(CART);
  return reply.code(204).send();
});
app.get('/bench-seed', async (request, reply) => {
  await seedSessions(manager, benchQuery(request.url).n, request.headers['user-agent'] ?? null);
  return reply.code(204).send();
});
await app.listen({ port: 0, host: HOST });
ready(app.server.address());
