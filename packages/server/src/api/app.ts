/**
 * The session API, version 1: JSON over HTTP for apps in any language. Every call but the OpenAPI
 * document needs an API key (`Authorization: Bearer tsk_…`) with the route's scope; bad keys are
 * throttled per address. Tokens travel only in JSON bodies (or the Cookie header for
 * `GET /v1/auth`), never in URLs. Errors are RFC 9457 problem documents with stable codes.
 */
import { isIP } from 'node:net';
import type { RequestContext, Session } from '@tessera-sessions/core';
import { createSessionHandler, readSessionCookie, sessionCookie } from '@tessera-sessions/core/http';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import type { ServiceContext } from '../service.ts';
import { SHOP_DEVICE_BOUND } from '../shop/device-bound.ts';
import type { ApiKeyInfo, Scope } from '../state/api-keys.ts';
import { clientAddress } from '../web/forms.ts';
import { openApiDocument } from './openapi.ts';
import { ApiError, problemResponse } from './problem.ts';
import { sessionView } from './views.ts';

type ApiEnv = { Variables: { apiKey: ApiKeyInfo } };

/** The largest request body the API reads. */
export const MAX_BODY_BYTES = 16 * 1024;

const token = z.string().min(1).max(512);
const client = z
  .object({
    ip: z
      .string()
      .max(64)
      .refine((v) => isIP(v) !== 0, 'must be an IPv4 or IPv6 address')
      .optional(),
    userAgent: z.string().max(1024).optional(),
  })
  .strict();
const userId = z.string().min(1).max(256);
const authLevel = z.number().int().min(0).max(10);

const schemas = {
  issue: z
    .object({
      userId,
      authLevel: authLevel.optional(),
      rememberMe: z.boolean().optional(),
      client: client.optional(),
      data: z.unknown().optional(),
    })
    .strict(),
  validate: z.object({ token, client: client.optional() }).strict(),
  rotate: z.object({ token, authLevel: authLevel.optional(), client: client.optional() }).strict(),
  logout: z.object({ token, client: client.optional() }).strict(),
};

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** The API's Hono app. */
export function apiApp(svc: ServiceContext): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const manager = svc.sessions;
  // The shop's cookie and DBSC settings: `GET /v1/auth` holds a device-bound session to its bound
  // cookie exactly as the shop does (CSRF is not this handler's job: it only runs the device check).
  const shopSessions = createSessionHandler(manager, {
    publicOrigin: svc.config.publicOrigin,
    csrf: false,
    deviceBound: SHOP_DEVICE_BOUND,
  });
  const cookie = shopSessions.cookie;
  const freshMs = manager.policy.stepUpMs;
  const view = (s: Parameters<typeof sessionView>[0]) => sessionView(s, manager.now(), freshMs);

  app.use(async (c, next) => {
    await next();
    c.header('cache-control', 'no-store');
    c.header('x-content-type-options', 'nosniff');
  });
  app.onError((err) => problemResponse(err));
  app.notFound(() => problemResponse(new ApiError(404, 'NOT_FOUND', 'No such endpoint.')));

  app.get('/v1/openapi.json', (c) => c.json(openApiDocument));

  app.use('/v1/*', async (c, next) => {
    const address = clientAddress(c) ?? 'unknown';
    const throttled = await svc.keyThrottle.check(address);
    if (throttled)
      throw new ApiError(429, 'RATE_LIMITED', 'Too many requests with invalid API keys from this address.', {
        retryAfter: throttled.retryAfterSeconds,
      });
    const auth = c.req.header('authorization') ?? '';
    const m = /^Bearer ([\x21-\x7e]{1,200})$/.exec(auth);
    let info: ApiKeyInfo | null;
    try {
      info = m ? svc.apiKeys.verify(m[1]!) : null;
    } catch (err) {
      // The service's own tables are unreachable: fail closed, and say so.
      throw Object.assign(
        new ApiError(503, 'STORE_UNAVAILABLE', 'The key store failed; nothing was changed.'),
        {
          cause: err,
        },
      );
    }
    if (!info) {
      await svc.keyThrottle.failed(address);
      throw new ApiError(401, 'API_KEY_INVALID', 'Send a valid API key as "Authorization: Bearer tsk_…".');
    }
    c.set('apiKey', info);
    await next();
  });

  const scope =
    (needed: Scope): MiddlewareHandler<ApiEnv> =>
    async (c, next) => {
      const scopes = c.get('apiKey').scopes;
      if (!scopes.includes(needed) && !scopes.includes('admin'))
        throw new ApiError(
          403,
          'API_KEY_SCOPE',
          `This endpoint needs an API key with the "${needed}" scope.`,
        );
      await next();
    };

  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError(413, 'BODY_TOO_LARGE', `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`);
    },
  });

  async function body<T extends z.ZodType>(c: Context<ApiEnv>, schema: T): Promise<z.output<T>> {
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json')
      throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json.');
    let raw: unknown;
    try {
      raw = JSON.parse(await c.req.text());
    } catch {
      throw new ApiError(400, 'REQUEST_INVALID', 'The request body is not valid JSON.');
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const keys = (issue as { keys?: string[] }).keys;
      const path = [...issue.path.map(String), ...(keys?.length ? [keys[0]!] : [])].join('.');
      const detail = keys?.length ? `unknown field "${path}"` : `${path || '(body)'}: ${issue.message}`;
      throw new ApiError(400, 'REQUEST_INVALID', `Invalid request: ${detail}.`, { field: path || '(body)' });
    }
    return parsed.data;
  }

  const ctxOf = (cl: z.output<typeof client> | undefined): RequestContext => ({
    ip: cl?.ip ?? null,
    userAgent: cl?.userAgent ?? null,
  });
  const setCookie = (s: Session, t: string) =>
    sessionCookie(cookie, t, s.rememberMe ? (s.absoluteExpiresAt - manager.now()) / 1000 : undefined);

  /** The live session for a token, or SESSION_INVALID (with the reason). */
  async function live(t: string, ctx: RequestContext): Promise<{ session: Session; renewed: string | null }> {
    const r = await manager.validate(t, ctx);
    if (!r.ok)
      throw new ApiError(401, 'SESSION_INVALID', `The token does not name a live session (${r.reason}).`, {
        reason: r.reason,
      });
    return { session: r.session, renewed: r.token };
  }

  app.post('/v1/sessions', scope('manage'), limit, async (c) => {
    const b = await body(c, schemas.issue);
    const ctx = ctxOf(b.client);
    let current: Session | null = null;
    if (b.data !== undefined) current = (await manager.create(ctx, b.data)).session;
    const issued = await manager.login(
      current,
      b.userId,
      { authLevel: b.authLevel, rememberMe: b.rememberMe },
      ctx,
    );
    return c.json(
      {
        token: issued.token,
        setCookie: setCookie(issued.session, issued.token),
        session: view(issued.session),
      },
      201,
    );
  });

  app.post('/v1/sessions/validate', scope('validate'), limit, async (c) => {
    const b = await body(c, schemas.validate);
    const r = await manager.validate(b.token, ctxOf(b.client));
    if (!r.ok) return c.json({ valid: false, reason: r.reason });
    return c.json({
      valid: true,
      session: view(r.session),
      data: manager.readData(r.session) ?? null,
      renewedToken: r.token,
      setCookie: r.token ? setCookie(r.session, r.token) : null,
    });
  });

  app.post('/v1/sessions/rotate', scope('manage'), limit, async (c) => {
    const b = await body(c, schemas.rotate);
    const ctx = ctxOf(b.client);
    const { session } = await live(b.token, ctx);
    const issued = await manager.rotate(session, { authLevel: b.authLevel }, ctx);
    return c.json({
      token: issued.token,
      setCookie: setCookie(issued.session, issued.token),
      session: view(issued.session),
    });
  });

  app.post('/v1/sessions/reauthenticate', scope('manage'), limit, async (c) => {
    const b = await body(c, schemas.rotate);
    const ctx = ctxOf(b.client);
    const { session } = await live(b.token, ctx);
    if (!session.authenticated)
      throw new ApiError(401, 'SESSION_INVALID', 'An anonymous session cannot re-authenticate.', {
        reason: 'anonymous',
      });
    const issued = await manager.reauthenticate(session, { authLevel: b.authLevel }, ctx);
    return c.json({
      token: issued.token,
      setCookie: setCookie(issued.session, issued.token),
      session: view(issued.session),
    });
  });

  app.post('/v1/sessions/logout', scope('manage'), limit, async (c) => {
    const b = await body(c, schemas.logout);
    const r = await manager.validate(b.token, ctxOf(b.client));
    if (r.ok) await manager.logout(r.session, ctxOf(b.client));
    return c.body(null, 204);
  });

  app.get('/v1/sessions/:id', scope('manage'), async (c) => {
    const id = c.req.param('id');
    if (!SESSION_ID.test(id))
      throw new ApiError(400, 'REQUEST_INVALID', 'Invalid request: id: not a session id.', { field: 'id' });
    const rec = await svc.stores.sessions.get(id).catch((err: unknown) => {
      throw Object.assign(new ApiError(503, 'STORE_UNAVAILABLE', 'The session store failed.'), {
        cause: err,
      });
    });
    const now = manager.now();
    if (!rec || rec.idleExpiresAt <= now || rec.absoluteExpiresAt <= now)
      throw new ApiError(404, 'NOT_FOUND', 'No live session with this id.');
    return c.json({ session: view(rec) });
  });

  app.delete('/v1/sessions/:id', scope('manage'), async (c) => {
    const id = c.req.param('id');
    if (!SESSION_ID.test(id))
      throw new ApiError(400, 'REQUEST_INVALID', 'Invalid request: id: not a session id.', { field: 'id' });
    if (!(await manager.revoke(id))) throw new ApiError(404, 'NOT_FOUND', 'No live session with this id.');
    return c.body(null, 204);
  });

  const userParam = (c: Context<ApiEnv>) => {
    const u = c.req.param('userId') ?? '';
    const parsed = userId.safeParse(u);
    if (!parsed.success)
      throw new ApiError(400, 'REQUEST_INVALID', 'Invalid request: userId: 1-256 characters.', {
        field: 'userId',
      });
    return parsed.data;
  };

  app.get('/v1/users/:userId/sessions', scope('manage'), async (c) => {
    const list = await manager.listForUser(userParam(c));
    return c.json({ sessions: list.map(view) });
  });

  app.delete('/v1/users/:userId/sessions', scope('manage'), async (c) => {
    return c.json({ revoked: await manager.revokeAllForUser(userParam(c)) });
  });

  app.get('/v1/events', scope('admin'), (c) => {
    const q = c.req.query();
    for (const k of Object.keys(q))
      if (k !== 'limit' && k !== 'detections' && k !== 'userId')
        throw new ApiError(400, 'REQUEST_INVALID', `Invalid request: unknown query parameter "${k}".`, {
          field: k,
        });
    const limitN = q.limit === undefined ? 100 : Number(q.limit);
    if (!Number.isInteger(limitN) || limitN < 1 || limitN > 1000)
      throw new ApiError(400, 'REQUEST_INVALID', 'Invalid request: limit: an integer from 1 to 1000.', {
        field: 'limit',
      });
    if (q.detections !== undefined && q.detections !== 'true' && q.detections !== 'false')
      throw new ApiError(400, 'REQUEST_INVALID', 'Invalid request: detections: true or false.', {
        field: 'detections',
      });
    const events = svc.activity
      .recent({ limit: limitN, detectionsOnly: q.detections === 'true', userId: q.userId })
      .filter((e) => e.source === 'sessions')
      .map(({ source: _s, at, ...e }) => ({ ...e, at: new Date(at).toISOString() }));
    return c.json({ events });
  });

  const limitOf = (q: Record<string, string>, allowed: string[], max: number) => {
    for (const k of Object.keys(q))
      if (!allowed.includes(k))
        throw new ApiError(400, 'REQUEST_INVALID', `Invalid request: unknown query parameter "${k}".`, {
          field: k,
        });
    const n = q.limit === undefined ? 100 : Number(q.limit);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new ApiError(400, 'REQUEST_INVALID', `Invalid request: limit: an integer from 1 to ${max}.`, {
        field: 'limit',
      });
    return n;
  };

  app.get('/v1/detections', scope('admin'), async (c) => {
    const q = c.req.query();
    const limitN = limitOf(q, ['limit', 'open', 'userId'], 1000);
    if (q.open !== undefined && q.open !== 'true' && q.open !== 'false')
      throw new ApiError(400, 'REQUEST_INVALID', 'Invalid request: open: true or false.', { field: 'open' });
    const list = await svc.detector.list({
      limit: limitN,
      ...(q.open === 'true' ? { acknowledged: false } : {}),
      ...(q.userId ? { userId: q.userId } : {}),
    });
    const iso = (ms: number) => new Date(ms).toISOString();
    return c.json({
      detections: list.map((d) => ({
        id: d.id,
        rule: d.rule,
        action: d.action,
        severity: d.severity,
        at: iso(d.at),
        sessionId: d.sessionId,
        userId: d.userId,
        ip: d.ip,
        summary: d.summary,
        acknowledged: d.acknowledged
          ? { at: iso(d.acknowledged.at), by: d.acknowledged.by, note: d.acknowledged.note }
          : null,
      })),
    });
  });

  app.get('/v1/audit', scope('admin'), async (c) => {
    const q = c.req.query();
    const limitN = limitOf(q, ['limit', 'fromSeq'], 1000);
    const fromSeq = q.fromSeq === undefined ? 1 : Number(q.fromSeq);
    if (!Number.isInteger(fromSeq) || fromSeq < 1)
      throw new ApiError(400, 'REQUEST_INVALID', 'Invalid request: fromSeq: a positive integer.', {
        field: 'fromSeq',
      });
    const [entries, verify] = await Promise.all([
      svc.audit.read({ fromSeq, limit: limitN }),
      svc.audit.verify(),
    ]);
    return c.json({
      chain: verify.ok
        ? { ok: true, entries: verify.entries, head: verify.head }
        : {
            ok: false,
            entries: verify.entries,
            brokenAt: verify.brokenAt,
            reason: verify.reason,
            message: verify.message,
          },
      entries: entries.map((e) => ({
        seq: e.seq,
        at: new Date(e.at).toISOString(),
        kind: e.kind,
        data: JSON.parse(e.body) as unknown,
        prevHash: e.prevHash,
        hash: e.hash,
      })),
    });
  });

  // For reverse proxies (nginx `auth_request`): the user's own Cookie header is forwarded; 200 with
  // the user in headers, or 401. A renewed token comes back as Set-Cookie for the proxy to pass on.
  app.get('/v1/auth', scope('validate'), async (c) => {
    const read = readSessionCookie(c.req.header('cookie'), cookie.name);
    const realIp = c.req.header('x-real-ip');
    const ctx: RequestContext = {
      ip: realIp && isIP(realIp) ? realIp : null,
      userAgent: c.req.header('user-agent') ?? null,
    };
    const r = read.kind === 'one' ? await manager.validate(read.value, ctx) : null;
    if (!r?.ok || !r.session.authenticated) return c.body(null, 401);
    // A device-bound session also needs its bound cookie; without it the session is treated as
    // stolen (revoked, the shop's policy) and, like a flagged or skipped one, not let through.
    const device = await shopSessions.checkDevice(
      r.session,
      { cookie: c.req.header('cookie'), header: (name) => c.req.header(name) },
      ctx,
    );
    if (device.kind !== 'unbound' && device.kind !== 'proven' && device.kind !== 'grace')
      return c.body(null, 401);
    c.header('x-tessera-user', encodeURIComponent(r.session.userId!));
    c.header('x-tessera-session', r.session.id);
    c.header('x-tessera-auth-level', String(r.session.authLevel));
    if (r.token) c.header('set-cookie', setCookie(r.session, r.token));
    return c.body(null, 200);
  });

  return app;
}
