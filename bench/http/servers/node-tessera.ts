/** node:http + Tessera (`@tessera-sessions/core/node`): `GET /me` validates the session cookie. */
import { createServer } from 'node:http';
import { nodeSessions } from '@tessera-sessions/core/node';
import { benchManager, benchQuery, CART, HOST, PUBLIC_ORIGIN, ready, seedSessions, USER } from './common.ts';

const manager = await benchManager();
const sessions = nodeSessions(manager, { publicOrigin: PUBLIC_ORIGIN });
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
    if (req.url?.startsWith('/bench-login')) {
      await session.login(USER);
      if (benchQuery(req.url).cart) await session.set(CART);
      res.writeHead(204).end();
      return;
    }
    if (req.url?.startsWith('/bench-seed')) {
      await seedSessions(manager, benchQuery(req.url).n, req.headers['user-agent'] ?? null);
      res.writeHead(204).end();
      return;
    }
    res.writeHead(404).end();
  } catch (err) {
    sessions.sendError(req, res, err);
  }
});
server.listen(0, HOST, () => ready(server.address()));
