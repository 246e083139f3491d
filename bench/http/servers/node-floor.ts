/**
 * node:http without Tessera, doing only the framework-level work a session check implies, one step
 * at a time (`FLOOR`, comma-separated): `headers` reads the Cookie and User-Agent headers (node
 * builds `req.headers` on first use), `nostore` sets `Cache-Control: no-store` before `writeHead`
 * (node then merges headers instead of writing them straight through), `hash` takes SHA-256 of the
 * cookie value, `async` answers from an `async` handler after one `await`. The difference between
 * this server and `node-tessera.ts` is what Tessera's own code costs at the server level.
 */
import { hash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { HOST, ready, USER } from './common.ts';

const steps = new Set((process.env.FLOOR ?? '').split(',').filter(Boolean));
const readHeaders = steps.has('headers');
const noStore = steps.has('nostore');
const hashCookie = steps.has('hash');

function answer(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/me') {
    if (readHeaders) {
      const cookie = req.headers.cookie ?? '';
      const ua = req.headers['user-agent'] ?? '';
      if (hashCookie) hash('sha256', cookie.slice(cookie.indexOf('=') + 1), 'base64url');
      if (ua.length === 0) res.statusCode = 400;
    }
    if (noStore) res.setHeader('Cache-Control', 'no-store');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ userId: USER }));
    return;
  }
  res.writeHead(req.url?.startsWith('/bench-') ? 204 : 404).end();
}

const server = steps.has('async')
  ? createServer(async (req, res) => {
      await Promise.resolve();
      answer(req, res);
    })
  : createServer(answer);
server.listen(0, HOST, () => ready(server.address()));
