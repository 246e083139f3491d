/** node:http + Tessera (`@tessera-sessions/core/node`): `GET /me` validates the session cookie. */
import { createServer } from 'node:http';
import { nodeSessions } from '@tessera-sessions/core/node';
import { benchManager, CART, HOST, ready, USER } from './common.ts';

const sessions = nodeSessions(await benchManager());
const server = createServer(async (req, res) => {
  try {
    const session = await sessions.getSession(req, res);
    if (req.url === '/me') {
      session.requireAuth();
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ userId: session.userId }));
      return;
    }
    if (req.url === '/bench-login') {
      await session.login(USER);
      if (process.env.BENCH_CART === '1') await session.set(CART);
      res.writeHead(204).end();
      return;
    }
    res.writeHead(404).end();
  } catch (err) {
    sessions.sendError(req, res, err);
  }
});
server.listen(0, HOST, () => ready(server.address()));
