/** Fastify 5 + Tessera (`@tessera-sessions/core/fastify`): `GET /me` behind `requireAuth()`. */

import { requireAuth, tessera } from '@tessera-sessions/core/fastify';
import Fastify from 'fastify';
import { benchManager, HOST, PUBLIC_ORIGIN, ready, USER } from './common.ts';

const app = Fastify({ logger: false });
await app.register(tessera, { manager: benchManager(), publicOrigin: PUBLIC_ORIGIN });
app.get('/me', { preHandler: requireAuth() }, async (request) => ({ userId: request.session.userId }));
app.get('/bench-login', async (request, reply) => {
  await request.session.login(USER);
  return reply.code(204).send();
});
await app.listen({ port: 0, host: HOST });
ready(app.server.address());
