/** Bare Fastify 5: `GET /me` answers a constant user. */
import Fastify from 'fastify';
import { HOST, ready, USER } from './common.ts';

const app = Fastify({ logger: false });
app.get('/me', async () => ({ userId: USER }));
await app.listen({ port: 0, host: HOST });
ready(app.server.address());
