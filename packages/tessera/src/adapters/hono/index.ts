/**
 * Hono middleware: the request's {@link RequestSession} on the context (`c.get('session')`),
 * the CSRF guard for unsafe methods, and the session's headers (Set-Cookie, Cache-Control,
 * Clear-Site-Data) applied to whatever Response the handler produced — including a handler's own
 * `new Response(…)` or a `fetch()` response with immutable headers.
 *
 * Built on the web-standard form of the HTTP layer (`webSession`), so it runs wherever Hono runs.
 * @module
 */
import type { Context, ErrorHandler, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Duration } from '../../duration.ts';
import { parseDuration } from '../../duration.ts';
import type { SessionManager } from '../../engine/session-manager.ts';
import { TesseraError } from '../../errors.ts';
import { isSafeMethod } from '../../http/csrf.ts';
import { clientErrorStatus } from '../../http/problem.ts';
import type { RequestSession } from '../../http/request-session.ts';
import type { SessionHandler, SessionHandlerOptions } from '../../http/session-handler.ts';
import { createSessionHandler } from '../../http/session-handler.ts';
import { endpointResponse, webRequestInfo, webSession } from '../../http/web.ts';

/** The context variables the middleware sets. */
export interface TesseraVariables {
  /** The request's session. */
  session: RequestSession;
}

/** Hono `Env` of apps using the middleware: `new Hono<TesseraEnv>()` types `c.get('session')`. */
export type TesseraEnv = { Variables: TesseraVariables };

/** Options of the Hono middleware. */
export interface HonoTesseraOptions<E extends TesseraEnv = TesseraEnv> extends SessionHandlerOptions {
  /**
   * The client's address (binding policy, per-client rate limits, events). A web `Request` does
   * not carry it, so pass your runtime's helper — on Node: `(c) => getConnInfo(c).remote.address ?? null`
   * with `getConnInfo` from `@hono/node-server/conninfo`. Default: on `@hono/node-server`, the
   * socket's remote address (`c.env.incoming`); elsewhere no address.
   */
  clientIp?: (c: Context<E>) => string | null | undefined;
  /**
   * Enforce the CSRF guard for unsafe methods before the handler runs. Default true. When the
   * verdict needs the synchronizer token and no header carries it, the `_csrf` field of a form body
   * is read with `c.req.parseBody()` (cached, so the handler can call it again).
   */
  verifyCsrf?: boolean;
}

/** The middleware, with the handler behind it and an error handler for `app.onError`. */
export interface TesseraMiddleware<E extends TesseraEnv = TesseraEnv> extends MiddlewareHandler<E> {
  /** The framework-neutral session handler. */
  readonly handler: SessionHandler;
  /**
   * For `app.onError`: Tessera errors become problem JSON with their status (or a redirect to
   * `loginUrl` for HTML requests); `HTTPException`s keep their own response; anything else is a
   * generic 500 problem that leaks nothing.
   */
  readonly onError: ErrorHandler<E>;
}

const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data'];

/**
 * Sessions for Hono. Put it before the routes that use sessions and hand its `onError` to the app.
 *
 * @example
 * import { Hono } from 'hono';
 * import { tesseraSession, requireAuth, type TesseraEnv } from '@tessera-sessions/core/hono';
 * const app = new Hono<TesseraEnv>();
 * const sessions = tesseraSession(manager, { loginUrl: '/login' });
 * app.use(sessions);
 * app.onError(sessions.onError);
 * app.get('/me', requireAuth(), (c) => c.json({ userId: c.get('session').userId }));
 */
export function tesseraSession<E extends TesseraEnv = TesseraEnv>(
  manager: SessionManager,
  options: HonoTesseraOptions<E> = {},
): TesseraMiddleware<E> {
  const { clientIp, verifyCsrf = true, ...handlerOptions } = options;
  const handler = createSessionHandler(manager, handlerOptions);
  const guard = verifyCsrf && handlerOptions.csrf !== false;
  const tokenHeader = handler.csrfHeader;
  const field = handler.csrfField;

  const middleware: MiddlewareHandler<E> = async (c, next) => {
    const ip = clientIp ? (clientIp(c) ?? null) : nodeServerAddress(c.env);
    const endpoint = handler.servesEndpoints ? handler.serveEndpoint(webRequestInfo(c.req.raw, ip)) : null;
    // Tessera's own endpoint (DBSC registration or refresh): answered here, routes never run.
    if (endpoint) return endpointResponse(await endpoint);
    const web = await webSession(handler, c.req.raw, ip);
    c.set('session', web.session);
    if (guard && !isSafeMethod(c.req.method)) {
      let formToken: unknown;
      const h = c.req.raw.headers;
      if (!h.has('sec-fetch-site') && !h.has('origin') && !h.has(tokenHeader)) {
        const type = (h.get('content-type') ?? '').toLowerCase();
        if (FORM_TYPES.some((t) => type.startsWith(t))) {
          const body = await c.req.parseBody();
          const v = body[field];
          formToken = typeof v === 'string' ? v : undefined;
        }
      }
      try {
        web.session.verifyCsrf(formToken);
      } catch (err) {
        // Refuse with the problem response, keeping the session's own headers on it (a renewed or
        // cleared cookie must still reach the client); an HTTPException passes through any onError.
        const out = handler.renderError(err, c.req.header('accept'));
        const res = web.apply(new Response(out.body, { status: out.status, headers: out.headers }));
        throw new HTTPException(out.status as 403, { res, cause: err });
      }
    }
    await next();
    if (!hasHeaders(web.headers)) return;
    const res = c.res;
    const out = web.apply(res);
    if (out !== res) {
      // Assigning c.res merges the previous response's headers into the new one (and would put
      // the old Set-Cookie list back); clear it first so the copy with our headers wins.
      c.res = undefined;
      c.res = out;
    }
  };

  const onError: ErrorHandler<E> = (err, c) => {
    if (err instanceof TesseraError) {
      const out = handler.renderError(err, c.req.header('accept'));
      return new Response(out.body || null, { status: out.status, headers: out.headers });
    }
    if (err instanceof HTTPException) return err.getResponse();
    const warn = handlerOptions.logger?.warn ?? ((m: string) => console.warn(m));
    const message = err instanceof Error ? err.message : String(err);
    if (clientErrorStatus(err) === undefined && isBodyParseError(err)) {
      // A truncated or malformed body (multipart cut short, bad form data) is the client's error.
      warn(`tessera: a request body could not be read: ${message}`);
      const out = handler.renderError(
        Object.assign(new Error('bad request body'), { status: 400 }),
        undefined,
      );
      return new Response(out.body, { status: out.status, headers: out.headers });
    }
    if (clientErrorStatus(err) === undefined) warn(`tessera: unexpected error: ${message}`);
    const out = handler.renderError(err, undefined);
    return new Response(out.body, { status: out.status, headers: out.headers });
  };

  return Object.assign(middleware, { handler, onError });
}

/** True for what `parseBody()` throws on a body that does not parse (undici's FormData parser). */
function isBodyParseError(err: unknown): boolean {
  return err instanceof TypeError && /parse body|formdata|multipart|boundary/i.test(err.message);
}

function hasHeaders(headers: Headers): boolean {
  for (const _ of headers.keys()) return true;
  return false;
}

/**
 * Middleware that refuses requests without a logged-in user (401 UNAUTHENTICATED through
 * `onError`, or a redirect to `loginUrl` for HTML requests).
 *
 * @example
 * app.get('/account', requireAuth(), (c) => c.text(`Hello ${c.get('session').userId}`));
 */
export function requireAuth<E extends TesseraEnv = TesseraEnv>(): MiddlewareHandler<E> {
  return async (c, next) => {
    sessionOf(c).requireAuth();
    await next();
  };
}

/**
 * Middleware for sensitive actions: the user must have authenticated within `maxAge` (default:
 * the manager's step-up policy), otherwise 401 REAUTH_REQUIRED.
 *
 * @example
 * app.post('/checkout', requireFresh('5m'), (c) => c.json({ ok: true }));
 */
export function requireFresh<E extends TesseraEnv = TesseraEnv>(maxAge?: Duration): MiddlewareHandler<E> {
  const ms = maxAge === undefined ? undefined : parseDuration(maxAge, 'requireFresh.maxAge');
  return async (c, next) => {
    sessionOf(c).requireFresh(ms);
    await next();
  };
}

/**
 * Middleware for the most sensitive actions: the session must be device-bound (DBSC) with a recent
 * proof of the key (see `RequestSession.requireDeviceBound`).
 *
 * @example
 * app.post('/checkout', requireDeviceBound(), (c) => c.json({ ok: true }));
 */
export function requireDeviceBound<E extends TesseraEnv = TesseraEnv>(
  maxAge?: Duration,
): MiddlewareHandler<E> {
  const ms = maxAge === undefined ? undefined : parseDuration(maxAge, 'requireDeviceBound.maxAge');
  return async (c, next) => {
    sessionOf(c).requireDeviceBound(ms);
    await next();
  };
}

function sessionOf<E extends TesseraEnv>(c: Context<E>): RequestSession {
  const s = c.get('session') as RequestSession | undefined;
  if (!s)
    throw new TypeError(
      'tessera/hono: no session on this context; use tesseraSession() before this middleware.',
    );
  return s;
}

export type { RequestSession } from '../../http/request-session.ts';

/** The socket address on `@hono/node-server`, which puts the node request at `c.env.incoming`. */
function nodeServerAddress(env: unknown): string | null {
  const incoming = (env as { incoming?: { socket?: { remoteAddress?: unknown } } } | undefined)?.incoming;
  const address = incoming?.socket?.remoteAddress;
  return typeof address === 'string' ? address : null;
}
