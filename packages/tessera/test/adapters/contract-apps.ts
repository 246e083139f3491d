/**
 * The contract app (routes listed in contract-suite.ts) on each of the four adapters: what an
 * adapter author writes to run the contract suite.
 */

import type { Server } from 'node:http';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import formbody from '@fastify/formbody';
import { createAdaptorServer } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { fetchSessions } from '../../../../examples/fetch/adapter.ts';
import * as ex from '../../src/adapters/express/index.ts';
import * as fy from '../../src/adapters/fastify/index.ts';
import * as ho from '../../src/adapters/hono/index.ts';
import * as no from '../../src/adapters/node/index.ts';
import type { SessionManager } from '../../src/engine/session-manager.ts';
import { authGuard, freshGuard } from '../../src/http/adapter.ts';
import { listen } from './helpers.ts';
import type { AdapterApp } from './suite.ts';

type Options = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function expressContractApp(lib: typeof express = express) {
  return (manager: SessionManager, options: Options): Promise<AdapterApp> => {
    const sessions = ex.expressSessions(manager, options);
    const app = lib();
    app.use(lib.urlencoded({ extended: false }), sessions);
    const wrap =
      (fn: (req: express.Request, res: express.Response) => Promise<unknown>): express.RequestHandler =>
      (req, res, next) => {
        fn(req, res).catch(next);
      };
    app.get('/me', ex.requireAuth(), (req, res) => res.json({ userId: req.session.userId }));
    app.get('/fresh', ex.requireFresh('1m'), (_req, res) => res.json({ ok: true }));
    app.get('/fresh-ms', ex.requireFresh(60_000), (_req, res) => res.json({ ok: true }));
    app.get(
      '/token',
      wrap(async (req, res) => res.json({ token: await req.session.csrfToken() })),
    );
    app.post(
      '/login',
      wrap(async (req, res) => res.json({ userId: (await req.session.login('alice')).userId })),
    );
    app.post('/state', (_req, res) => res.json({ ok: true }));
    app.post('/verify', (req, res) => {
      req.session.verifyCsrf(str(req.body?._csrf));
      res.json({ ok: true });
    });
    app.use(ex.sessionErrorHandler());
    return listen(createServer(app));
  };
}

export async function fastifyContractApp(manager: SessionManager, options: Options): Promise<AdapterApp> {
  const plugin = fy.fastifySessions(manager, options);
  const app = Fastify();
  app.register(formbody);
  app.register(plugin);
  const field = (body: unknown, name: string) => str((body as Record<string, unknown> | null)?.[name]);
  app.get('/me', { preHandler: fy.requireAuth() }, async (request) => ({ userId: request.session.userId }));
  app.get('/fresh', { preHandler: fy.requireFresh('1m') }, async () => ({ ok: true }));
  app.get('/fresh-ms', { preHandler: fy.requireFresh(60_000) }, async () => ({ ok: true }));
  app.get('/token', async (request) => ({ token: await request.session.csrfToken() }));
  app.post('/login', async (request) => ({ userId: (await request.session.login('alice')).userId }));
  app.post('/state', async () => ({ ok: true }));
  app.post('/verify', async (request) => {
    request.session.verifyCsrf(field(request.body, '_csrf'));
    return { ok: true };
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
}

export function honoContractApp(manager: SessionManager, options: Options): Promise<AdapterApp> {
  const sessions = ho.honoSessions(manager, options);
  const app = new Hono<ho.TesseraEnv>();
  app.use(sessions);
  app.onError(sessions.onError);
  app.get('/me', ho.requireAuth(), (c) => c.json({ userId: c.get('session').userId }));
  app.get('/fresh', ho.requireFresh('1m'), (c) => c.json({ ok: true }));
  app.get('/fresh-ms', ho.requireFresh(60_000), (c) => c.json({ ok: true }));
  app.get('/token', async (c) => c.json({ token: await c.get('session').csrfToken() }));
  app.post('/login', async (c) => c.json({ userId: (await c.get('session').login('alice')).userId }));
  app.post('/state', (c) => c.json({ ok: true }));
  app.post('/verify', async (c) => {
    c.get('session').verifyCsrf(str((await c.req.parseBody())._csrf));
    return c.json({ ok: true });
  });
  return listen(createAdaptorServer({ fetch: app.fetch }) as Server);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export function nodeContractApp(manager: SessionManager, options: Options): Promise<AdapterApp> {
  const sessions = no.nodeSessions(manager, options);
  const json = (res: ServerResponse, body: unknown) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const guards: Record<string, no.SessionGuard> = {
    '/me': no.requireAuth(),
    '/fresh': no.requireFresh('1m'),
    '/fresh-ms': no.requireFresh(60_000),
  };
  const server = createServer(async (req, res) => {
    try {
      const path = req.url ?? '/';
      const session = await sessions.getSession(req, res, guards[path]);
      const form = req.method === 'POST' ? await readForm(req) : new URLSearchParams();
      if (session.csrfPending) session.verifyCsrf(form.get('_csrf') ?? undefined);
      if (req.method === 'GET' && guards[path])
        return json(res, path === '/me' ? { userId: session.userId } : { ok: true });
      if (path === '/token') return json(res, { token: await session.csrfToken() });
      if (path === '/login') return json(res, { userId: (await session.login('alice')).userId });
      if (path === '/verify') session.verifyCsrf(form.get('_csrf') ?? undefined);
      return json(res, { ok: true });
    } catch (err) {
      sessions.sendError(req, res, err);
    }
  });
  return listen(server);
}

/** The contract app on the fetch-handler adapter of docs/adapters.md (examples/fetch/adapter.ts). */
export function fetchContractApp(manager: SessionManager, options: Options): Promise<AdapterApp> {
  const route = fetchSessions(manager, options);
  const json = (body: unknown) => Response.json(body);
  const form = async (request: Request) => new URLSearchParams(await request.text());
  const routes: Record<string, (request: Request) => Promise<Response>> = {
    'GET /me': route((_r, s) => json({ userId: s.userId }), authGuard()),
    'GET /fresh': route(() => json({ ok: true }), freshGuard('1m')),
    'GET /fresh-ms': route(() => json({ ok: true }), freshGuard(60_000)),
    'GET /token': route(async (_r, s) => json({ token: await s.csrfToken() })),
    'POST /login': route(async (_r, s) => json({ userId: (await s.login('alice')).userId })),
    'POST /state': route(() => json({ ok: true })),
    'POST /verify': route(async (r, s) => {
      s.verifyCsrf((await form(r)).get('_csrf') ?? undefined);
      return json({ ok: true });
    }),
  };
  const fetch = (request: Request) =>
    routes[`${request.method} ${new URL(request.url).pathname}`]?.(request) ??
    new Response('', { status: 404 });
  return listen(createAdaptorServer({ fetch }) as Server);
}
