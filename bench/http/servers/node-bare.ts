/** Bare node:http: `GET /me` answers a constant user (serialised per request, like the session variants). */
import { createServer } from 'node:http';
import { HOST, ready, USER } from './common.ts';

const server = createServer((req, res) => {
  if (req.url === '/me') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ userId: USER }));
    return;
  }
  res.writeHead(404).end();
});
server.listen(0, HOST, () => ready(server.address()));
