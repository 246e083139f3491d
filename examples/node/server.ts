/**
 * The example app on plain node:http. Same routes as every other example:
 * GET /login, POST /login, GET /account, POST /cart, POST /logout, GET /me, POST /reauth, POST /checkout.
 * Run: `npx tsx --conditions=tessera-source examples/node/server.ts` (PORT, HOST, STORE=sqlite|memory).
 */
import { createServer, type IncomingMessage } from 'node:http';
import { UnauthenticatedError } from '@tessera-sessions/core';
import type { DeviceBoundOptions } from '@tessera-sessions/core/http';
import { nodeSessions, requireAuth, requireFresh } from '@tessera-sessions/core/node';
import {
  accountPage,
  addToCart,
  boundPort,
  type CartData,
  checkPassword,
  exampleManager,
  listenAddress,
  loginPage,
  publicOrigin,
} from '../shared/app.ts';

const MAX_BODY = 16 * 1024;

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = req.headers['content-type'] ?? '';
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return type.startsWith('application/x-www-form-urlencoded')
    ? new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
    : new URLSearchParams();
}

/** Builds the example server (exported for tests). */
export function createApp(manager = exampleManager(), options: { deviceBound?: DeviceBoundOptions } = {}) {
  const sessions = nodeSessions(manager, {
    loginUrl: '/login',
    publicOrigin: publicOrigin(),
    deviceBound: options.deviceBound,
  });
  const server = createServer(async (req, res) => {
    try {
      if (await sessions.handle(req, res)) return;
      const session = await sessions.getSession(req, res);
      const url = new URL(req.url ?? '/', 'http://localhost');
      const route = `${req.method} ${url.pathname}`;
      const form = req.method === 'POST' ? await readForm(req) : new URLSearchParams();
      // No Origin, Sec-Fetch-Site or token header: the verdict needs the form's `_csrf` field.
      if (session.csrfPending) session.verifyCsrf(form.get('_csrf') ?? undefined);
      const html = (status: number, body: string) => {
        res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(body);
      };
      switch (route) {
        case 'GET /':
        case 'GET /login':
          return html(200, loginPage(await session.csrfToken()));
        case 'POST /login': {
          await session.loginAttempt(form.get('username') ?? '');
          const user = checkPassword(form.get('username'), form.get('password'));
          if (!user) return html(401, loginPage(await session.csrfToken(), 'Wrong username or password.'));
          await session.login(user, { rememberMe: form.get('remember') === '1' });
          return res.writeHead(303, { location: '/account' }).end();
        }
        case 'GET /account': {
          await sessions.getSession(req, res, requireAuth());
          return html(
            200,
            accountPage(session.userId!, session.get<CartData>()?.cart ?? [], await session.csrfToken()),
          );
        }
        case 'POST /cart':
          await session.update<CartData>((d) => addToCart(d, form.get('item')));
          if ((req.headers.accept ?? '').includes('text/html'))
            return res.writeHead(303, { location: '/account' }).end();
          return res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ cart: session.get<CartData>()?.cart ?? [] }));
        case 'POST /logout':
          await session.logout();
          return res.writeHead(303, { location: '/login' }).end();
        case 'POST /reauth': {
          const s = session.requireAuth();
          if (!checkPassword(s.userId, form.get('password'))) {
            return res
              .writeHead(401, { 'content-type': 'application/json' })
              .end(JSON.stringify({ ok: false, error: 'Wrong password.' }));
          }
          await session.reauthenticate();
          return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
        }
        case 'POST /checkout':
          await sessions.getSession(req, res, requireFresh('5m'));
          return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
        case 'GET /me':
          if (!session.authenticated) throw new UnauthenticatedError();
          return res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ userId: session.userId, deviceBound: session.deviceBound }));
        default:
          return res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      }
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status === 413) return void res.writeHead(413).end();
      sessions.sendError(req, res, err);
    }
  });
  return server;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { host, port } = listenAddress();
  const server = createApp().listen(port, host, () =>
    console.log(
      `node:http example on http://${host === '127.0.0.1' ? 'localhost' : host}:${boundPort(server)}`,
    ),
  );
}
