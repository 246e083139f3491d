/** node:http + Tessera (`@tessera-sessions/core/node`): `GET /me` validates the session cookie. */
import { createServer } from 'node:http';
import { nodeSessions } from '@tessera-sessions/core/node';
import { benchManager, HOST, PUBLIC_ORIGIN, ready, USER } from './common.ts';

const sessions = nodeSessions(benchManager(), { publicOrigin: PUBLIC_ORIGIN });
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
      res.writeHead(204).end();
      return;
    }
    res.writeHead(404).end();
  } catch (err) {
    sessions.sendError(req, res, err);
  }
});
server.listen(0, HOST, () => ready(server.address()));
