/**
 * Express 4 and 5 adapter: `req.session` with the Tessera API and an express-session compatible
 * surface (passport works unchanged; see docs/express-compatibility.md), on the shared handler.
 * @module
 */
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type { Duration } from '../../duration.ts';
import type { SessionManager } from '../../engine/session-manager.ts';
import type { AdapterOptions, SessionGuard } from '../../http/adapter.ts';
import { authGuard, createAdapterHandler, deviceBoundGuard, freshGuard } from '../../http/adapter.ts';
import { optionChecks } from '../../http/adapter-options.ts';
import { nodeExchange, writeEndpointResponse } from '../../http/node.ts';
import { isKnownError, PROBLEM_CONTENT_TYPE, toProblem } from '../../http/problem.ts';
import type { RequestSession } from '../../http/request-session.ts';
import type { SessionHandler } from '../../http/session-handler.ts';
import {
  type Adapter,
  ARRIVED,
  defineSessionId,
  RequestHost,
  SLOT,
  type Slotted,
  writeHead,
} from './request-host.ts';
import { type ExpressSession, passportUserId, SessionController, type UserIdFrom } from './session.ts';

export type { RequestSession } from '../../http/request-session.ts';
export {
  type ExpressSession,
  passportUserId,
  RESERVED_SESSION_KEYS,
  type SessionCallback,
  type SessionCookie,
  type SessionData,
  type TesseraApi,
  type UserIdFrom,
} from './session.ts';

declare module 'express-serve-static-core' {
  interface Request {
    /** The Tessera session of this request (set by `expressSessions()`). */
    session: ExpressSession;
    /** express-session compatible: the public session id (a hash, never the token), or ''. */
    sessionID: string;
  }
}

/** Options of {@link expressSessions}: the shared adapter options, plus `userIdFrom`. */
export interface ExpressSessionsOptions extends AdapterOptions<Request> {
  /**
   * Which user the express-session style data logs in (default {@link passportUserId}:
   * `data.passport.user`). A save that changes it logs that user in (new token); null on an
   * authenticated session ends it.
   */
  userIdFrom?: UserIdFrom;
}

/** The middleware returned by {@link expressSessions}. */
export interface ExpressSessionsMiddleware extends RequestHandler {
  readonly handler: SessionHandler;
  /** Mount first (`app.use(sessions.arrival)`): notes each request's arrival, so a slow upload is never taken for a replay. */
  readonly arrival: RequestHandler;
}

/**
 * Sessions for Express 4 and 5. Mount a body parser before it (the `_csrf` form field is read from
 * `req.body`) and {@link sessionErrorHandler} after the routes.
 *
 * @example
 * const sessions = expressSessions(manager, { loginUrl: '/login' });
 * app.use(sessions.arrival, express.urlencoded({ extended: false }), sessions);
 * app.get('/account', requireAuth(), (req, res) => res.send(`Hello ${req.session.userId}`));
 * app.use(sessionErrorHandler());
 */
export function expressSessions(
  manager: SessionManager,
  options: ExpressSessionsOptions = {},
): ExpressSessionsMiddleware {
  const handler = createAdapterHandler(manager, options, { userIdFrom: optionChecks.function });
  const { secure, sameSite } = handler.cookie;
  const adapter: Adapter = {
    handler,
    config: { userIdFrom: options.userIdFrom ?? passportUserId, cookie: { secure, sameSite } },
  };
  const clientIp = options.clientIp;
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    const r = req as Slotted;
    if (r[SLOT]) {
      next();
      return;
    }
    const host = new RequestHost(req, res, adapter, next);
    r[SLOT] = host;
    defineSessionId(req);
    const info = nodeExchange(req, res, clientIp ? clientIp(req) : clientAddress(req), r[ARRIVED]);
    const endpoint = handler.serveEndpoint(info);
    // Tessera's own endpoint (DBSC registration or refresh): answered here, routes never run.
    if (endpoint) endpoint.then((out) => writeEndpointResponse(res, out), next);
    else handler.start(info, info, host, started);
  };
  const arrival: RequestHandler = (req, _res, next) => {
    (req as Slotted)[ARRIVED] ??= manager.now();
    next();
  };
  return Object.assign(middleware, { handler, arrival });
}

/** The session is open (the body was parsed before this middleware: its `_csrf` field is read at once). */
function started(host: RequestHost, err: unknown, rs: RequestSession | null): void {
  if (rs) {
    host.ctl = new SessionController(rs, host, host.adapter.config);
    host.req.session = host.ctl.proxy;
    try {
      if (!err) host.adapter.handler.checkCsrfBody(rs, host.req.body);
    } catch (e) {
      err = e;
    }
  }
  host.next(err ?? undefined);
}

/** `req.ip`, without its forwarding-header parsing when `trust proxy` is off. */
function clientAddress(req: Request): string | null {
  if (!req.app.enabled('trust proxy')) return req.socket.remoteAddress ?? null;
  return req.ip ?? req.socket.remoteAddress ?? null;
}

const middlewareOf =
  (guard: SessionGuard): RequestHandler =>
  (req, _res, next) => {
    const rs = (req as Slotted)[SLOT]?.ctl?.rs;
    if (!rs) return next(new Error('tessera/express: mount expressSessions() before this middleware.'));
    try {
      guard(rs);
    } catch (err) {
      return next(err);
    }
    next();
  };

/** Middleware: a user is logged in (401, SESSION_EXPIRED, or a redirect to `loginUrl` for HTML requests). */
export const requireAuth = (): RequestHandler => middlewareOf(authGuard());
/** Middleware: authenticated within `maxAge` (`'5m'` or ms; default `stepUpMaxAge`), else 401 REAUTH_REQUIRED. */
export const requireFresh = (maxAge?: Duration): RequestHandler => middlewareOf(freshGuard(maxAge));
/** Middleware: device-bound (DBSC) with a key proof no older than `maxAge`. */
export const requireDeviceBound = (maxAge?: Duration): RequestHandler =>
  middlewareOf(deviceBoundGuard(maxAge));

/**
 * Error middleware (mount after the routes): Tessera errors and unreadable bodies become problem
 * JSON, or a redirect to `loginUrl` for HTML requests; other errors go on to Express unless `all`.
 */
export function sessionErrorHandler(options: { all?: boolean } = {}): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    const handler = (req as Slotted)[SLOT]?.adapter.handler;
    if (res.headersSent || !(options.all || isKnownError(err))) return next(err);
    // Before the sessions middleware ran (a body parser failed): the shared rendering without hooks.
    const out = handler?.errorResponse(err, req.headers.accept) ?? plainProblem(err);
    writeHead(res, out);
    res.end(out.body);
  };
}

function plainProblem(err: unknown) {
  const problem = toProblem(err);
  const headers = { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store' };
  return { status: problem.status, headers, body: JSON.stringify(problem), problem };
}
