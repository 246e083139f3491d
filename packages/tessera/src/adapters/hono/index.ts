/**
 * Hono adapter: the request's {@link RequestSession} at `c.get('session')`, the CSRF check before
 * the route, and the session's headers (Set-Cookie, Cache-Control, Clear-Site-Data) applied to
 * whatever Response the route produced — a `fetch()` response with immutable headers included.
 * Built on the web-standard request view, so it runs wherever Hono runs.
 * @module
 */
import type { Context, ErrorHandler, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Duration } from '../../duration.ts';
import type { SessionManager } from '../../engine/session-manager.ts';
import { TesseraError } from '../../errors.ts';
import type { AdapterOptions, SessionGuard } from '../../http/adapter.ts';
import { authGuard, createAdapterHandler, deviceBoundGuard, freshGuard } from '../../http/adapter.ts';
import type { RequestSession } from '../../http/request-session.ts';
import type { SessionHandler } from '../../http/session-handler.ts';
import { applyHeaders, endpointResponse, headersSink, webRequestInfo } from '../../http/web.ts';

/** Hono `Env` of apps using the middleware: `new Hono<TesseraEnv>()` types `c.get('session')`. */
export type TesseraEnv = { Variables: { session: RequestSession } };

/**
 * Options of {@link honoSessions}: the shared adapter options. `clientIp` defaults to the socket
 * address on `@hono/node-server` (`c.env.incoming`), elsewhere none: pass your runtime's helper.
 */
export type HonoSessionsOptions<E extends TesseraEnv = TesseraEnv> = AdapterOptions<Context<E>>;

/** The middleware, with its handler and the error handler for `app.onError`. */
export interface HonoSessionsMiddleware<E extends TesseraEnv = TesseraEnv> extends MiddlewareHandler<E> {
  readonly handler: SessionHandler;
  /** For `app.onError`: Tessera errors as problem JSON or a login redirect; anything else a 500 that leaks nothing. */
  readonly onError: ErrorHandler<E>;
}

const FORM = /^(application\/x-www-form-urlencoded|multipart\/form-data)/i;

/**
 * Sessions for Hono: `app.use(sessions); app.onError(sessions.onError)`.
 *
 * @example
 * const sessions = honoSessions(manager, { loginUrl: '/login' });
 * app.use(sessions);
 * app.onError(sessions.onError);
 * app.get('/me', requireAuth(), (c) => c.json({ userId: c.get('session').userId }));
 */
export function honoSessions<E extends TesseraEnv = TesseraEnv>(
  manager: SessionManager,
  options: HonoSessionsOptions<E> = {},
): HonoSessionsMiddleware<E> {
  const handler = createAdapterHandler(manager, options);
  const clientIp = options.clientIp;
  const middleware: MiddlewareHandler<E> = async (c, next) => {
    const req = webRequestInfo(c.req.raw, clientIp ? (clientIp(c) ?? null) : nodeServerAddress(c.env));
    const endpoint = handler.servesEndpoints ? handler.serveEndpoint(req) : null;
    if (endpoint) return endpointResponse(await endpoint); // DBSC registration or refresh
    const headers = new Headers();
    const opened = handler.open(req, headersSink(headers));
    const rs = opened instanceof Promise ? await opened : opened;
    c.set('session', rs);
    try {
      handler.checkCsrf(rs, req);
      // No header decided: the `_csrf` field of a form body (parseBody caches it for the route).
      if (rs.csrfPending)
        handler.checkCsrfBody(
          rs,
          FORM.test(c.req.header('content-type') ?? '') ? await c.req.parseBody() : undefined,
        );
    } catch (err) {
      if (!(err instanceof TesseraError)) throw err;
      // Refused with the session's own headers kept (a renewed or cleared cookie must reach the client).
      const out = handler.errorResponse(err, c.req.header('accept'));
      const res = applyHeaders(headers, new Response(out.body || null, out));
      throw new HTTPException(out.status as 403, { res, cause: err });
    }
    await next();
    if (headers.keys().next().done) return;
    const out = applyHeaders(headers, c.res);
    if (out !== c.res) {
      // Assigning c.res merges the previous response's headers in (the old Set-Cookie list too).
      c.res = undefined;
      c.res = out;
    }
  };
  const onError: ErrorHandler<E> = (err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    // What parseBody() throws on a body that does not parse (undici's FormData parser) is the client's.
    const bad = err instanceof TypeError && /parse body|formdata|multipart|boundary/i.test(err.message);
    const out = handler.errorResponse(bad ? { status: 400 } : err, c.req.header('accept'));
    return new Response(out.body || null, out);
  };
  return Object.assign(middleware, { handler, onError });
}

const middlewareOf =
  <E extends TesseraEnv>(guard: SessionGuard): MiddlewareHandler<E> =>
  async (c, next) => {
    const rs = c.get('session') as RequestSession | undefined;
    if (!rs) throw new TypeError('tessera/hono: no session; use honoSessions() before this middleware.');
    guard(rs);
    await next();
  };

/** Middleware: a user is logged in (401, SESSION_EXPIRED, or a redirect to `loginUrl` for HTML). */
export const requireAuth = <E extends TesseraEnv = TesseraEnv>() => middlewareOf<E>(authGuard());
/** Middleware: authenticated within `maxAge` (`'5m'` or ms; default `stepUpMaxAge`), else 401 REAUTH_REQUIRED. */
export const requireFresh = <E extends TesseraEnv = TesseraEnv>(maxAge?: Duration) =>
  middlewareOf<E>(freshGuard(maxAge));
/** Middleware: device-bound (DBSC) with a key proof no older than `maxAge`. */
export const requireDeviceBound = <E extends TesseraEnv = TesseraEnv>(maxAge?: Duration) =>
  middlewareOf<E>(deviceBoundGuard(maxAge));

/** The socket address on `@hono/node-server`, which puts the node request at `c.env.incoming`. */
function nodeServerAddress(env: unknown): string | null {
  const address = (env as { incoming?: { socket?: { remoteAddress?: unknown } } } | undefined)?.incoming
    ?.socket?.remoteAddress;
  return typeof address === 'string' ? address : null;
}

export type { RequestSession } from '../../http/request-session.ts';
