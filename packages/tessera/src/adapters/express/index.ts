/**
 * Express 4 and 5 adapter: `req.session` with the Tessera API and an express-session compatible
 * surface (so passport works unchanged), CSRF enforcement, `requireAuth()`, `requireFresh()` and
 * an error handler that renders problem JSON or a login redirect.
 * @module
 */
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type { Duration } from '../../duration.ts';
import { parseDuration } from '../../duration.ts';
import { beginNow, whenReady } from '../../engine/internal.ts';
import type { SessionManager } from '../../engine/session-manager.ts';
import { TesseraError } from '../../errors.ts';
import { isSafeMethod } from '../../http/csrf.ts';
import { nodeRequestInfo, nodeResponseSink, writeEndpointResponse } from '../../http/node.ts';
import { clientErrorStatus, PROBLEM_CONTENT_TYPE, toProblem } from '../../http/problem.ts';
import type { RequestSession } from '../../http/request-session.ts';
import type { ErrorResponse, SessionHandler, SessionHandlerOptions } from '../../http/session-handler.ts';
import { createSessionHandler } from '../../http/session-handler.ts';
import {
  type ExpressSession,
  passportUserId,
  type SessionConfig,
  SessionController,
  type SessionHost,
  type UserIdFrom,
} from './session.ts';

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

/** Options of {@link expressSessions}. */
export interface ExpressSessionsOptions extends SessionHandlerOptions {
  /** Client address of a request (default `req.ip`, which follows Express's `trust proxy` setting). */
  clientIp?: (req: Request) => string | null;
  /**
   * Which user the express-session style data logs in. When a save finds that this value changed
   * (passport set `req.session.passport.user` after `regenerate`), the session is logged in (new
   * token); when it became null on an authenticated session (passport's logout), the session is
   * ended server-side. Default {@link passportUserId}: `data.passport.user` (string, number, or an
   * object's `id`). Return null for "nobody".
   */
  userIdFrom?: UserIdFrom;
  /**
   * Check CSRF in the middleware for every unsafe method (default true). The form field is read
   * from `req.body`, so mount a body parser (`express.urlencoded()`) before this middleware. With
   * `false`, call `req.session.verifyCsrf()` yourself.
   */
  autoCsrf?: boolean;
}

/** The middleware returned by {@link expressSessions}, with the HTTP layer it runs on. */
export interface ExpressSessionsMiddleware extends RequestHandler {
  readonly handler: SessionHandler;
  /**
   * Mount before the body parsers (`app.use(sessions.arrival)`): notes when each request arrived.
   * The session is checked after the body is read; a token renewed meanwhile (by another tab) is
   * then judged by when this request arrived, so a slow upload is never taken for a replay.
   */
  readonly arrival: RequestHandler;
}

function fieldOf(body: unknown, field: string): unknown {
  return body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined;
}

/** What one `expressSessions()` instance shares between its requests. */
interface Adapter {
  readonly handler: SessionHandler;
  readonly config: SessionConfig;
  readonly field: string;
}

// The request's state lives in a symbol property (no WeakMap: cheaper for the GC on every request).
const SLOT = Symbol('tessera.express');
const ARRIVED = Symbol('tessera.express.arrived');
type Slotted = Request & { [SLOT]?: RequestHost; [ARRIVED]?: number };

/** One request's link between Express and the session controller. */
class RequestHost implements SessionHost {
  ctl: SessionController | null = null;
  #hooked = false;
  constructor(
    readonly req: Request,
    readonly res: Response,
    readonly adapter: Adapter,
  ) {}
  formToken(): unknown {
    return fieldOf(this.req.body, this.adapter.field);
  }
  replaceSession(session: ExpressSession): void {
    this.req.session = session;
  }
  onDataLoaded(): void {
    if (this.#hooked) return;
    this.#hooked = true;
    saveBeforeEnd(this);
  }
}

/** `req.sessionID` as a getter on the app's request prototype (defined once, not per request). */
function defineSessionId(req: Request): void {
  const proto = Object.getPrototypeOf(req) as object | null;
  if (!proto || Object.hasOwn(proto, 'sessionID')) return;
  Object.defineProperty(proto, 'sessionID', {
    configurable: true,
    enumerable: false,
    get(this: Slotted): string {
      return this[SLOT]?.ctl?.rs.id ?? '';
    },
    set(this: Slotted, value: unknown) {
      Object.defineProperty(this, 'sessionID', {
        value,
        writable: true,
        configurable: true,
        enumerable: true,
      });
    },
  });
}

/**
 * Sessions for Express 4 and 5. Loads the session into `req.session`, enforces CSRF on unsafe
 * methods, and saves property-style data changes (compare-and-set) before the response ends.
 *
 * @example
 * const app = express();
 * const sessions = expressSessions(createSessionManager({ store: memoryStore() }), { loginUrl: '/login' });
 * app.use(sessions.arrival); // first: notes each request's arrival (slow uploads)
 * app.use(express.urlencoded({ extended: false })); // before the sessions, for the `_csrf` field
 * app.use(sessions);
 * app.post('/login', async (req, res) => {
 *   await req.session.login(checkUser(req.body));
 *   res.redirect(303, '/account');
 * });
 * app.get('/account', requireAuth(), (req, res) => res.send(`Hello ${req.session.userId}`));
 * app.use(sessionErrorHandler());
 */
export function expressSessions(
  manager: SessionManager,
  options: ExpressSessionsOptions = {},
): ExpressSessionsMiddleware {
  const handler = createSessionHandler(manager, options);
  const adapter: Adapter = {
    handler,
    field: handler.csrfField,
    config: {
      userIdFrom: options.userIdFrom ?? passportUserId,
      cookie: { secure: handler.cookie.secure, sameSite: handler.cookie.sameSite },
    },
  };
  const autoCsrf = options.autoCsrf !== false && options.csrf !== false;
  const clientIp = options.clientIp;

  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    const r = req as Slotted;
    if (r[SLOT]) {
      next();
      return;
    }
    const host = new RequestHost(req, res, adapter);
    r[SLOT] = host;
    defineSessionId(req);
    const ip = clientIp ? clientIp(req) : clientAddress(req);
    const info = nodeRequestInfo(req, ip, r[ARRIVED]);
    const endpoint = handler.serveEndpoint(info);
    if (endpoint) {
      // Tessera's own endpoint (DBSC registration or refresh): answered here, routes never run.
      endpoint.then((out) => writeEndpointResponse(res, out), next);
      return;
    }
    // The common case (no store round trip, nothing to write) continues without a promise hop.
    whenReady(
      () => handler[beginNow](info, nodeResponseSink(res)),
      (rs) => attach(rs, req, host, next),
      next,
    );
  };
  const attach = (rs: RequestSession, req: Request, host: RequestHost, next: NextFunction): void => {
    const ctl = new SessionController(rs, host, adapter.config);
    host.ctl = ctl;
    req.session = ctl.proxy;
    if (autoCsrf && !isSafeMethod(req.method)) {
      try {
        rs.verifyCsrf(host.formToken());
      } catch (err) {
        next(err);
        return;
      }
    }
    next();
  };
  const arrival: RequestHandler = (req, _res, next) => {
    (req as Slotted)[ARRIVED] ??= manager.now();
    next();
  };
  return Object.assign(middleware, { handler, arrival });
}

/**
 * Saves pending data changes before the response is sent (installed only once a request touches
 * its data); a failed save replaces the response with the error.
 */
function saveBeforeEnd(host: RequestHost): void {
  const { req, res } = host;
  const end = res.end;
  res.end = function (this: Response, ...args: unknown[]) {
    res.end = end;
    const ctl = host.ctl;
    if (!ctl?.dirty) return end.apply(this, args as Parameters<typeof end>);
    ctl.save().then(
      () => end.apply(this, args as Parameters<typeof end>),
      (err: unknown) => {
        if (res.headersSent) return end.apply(this, args as Parameters<typeof end>);
        const out = host.adapter.handler.renderError(err, req.headers.accept);
        for (const name of res.getHeaderNames()) {
          if (name !== 'set-cookie' && name !== 'clear-site-data') res.removeHeader(name);
        }
        writeError(res, out);
        return end.apply(this, [out.body] as unknown as Parameters<typeof end>);
      },
    );
    return this;
  } as Response['end'];
}

function writeError(res: Response, out: ErrorResponse): void {
  res.statusCode = out.status;
  for (const [k, v] of Object.entries(out.headers)) res.setHeader(k, v);
  res.setHeader('content-length', Buffer.byteLength(out.body));
}

/**
 * The client address as Express's `req.ip` gives it. Without `trust proxy` that is the socket's
 * address, read directly: the `req.ip` getter parses forwarding headers on every call only to
 * discard them.
 */
function clientAddress(req: Request): string | null {
  if (!req.app.enabled('trust proxy')) return req.socket.remoteAddress ?? null;
  return req.ip ?? req.socket.remoteAddress ?? null;
}

function controllerOf(req: Request): SessionController {
  const ctl = (req as Slotted)[SLOT]?.ctl;
  if (!ctl) throw new Error('tessera/express: mount expressSessions() before this middleware.');
  return ctl;
}

/**
 * Middleware that lets only logged-in users through; others get 401 problem JSON, or a redirect to
 * `loginUrl` for HTML requests (rendered by {@link sessionErrorHandler}).
 *
 * @example
 * app.get('/account', requireAuth(), (req, res) => res.send(`Hello ${req.session.userId}`));
 */
export function requireAuth(): RequestHandler {
  return (req, _res, next) => {
    try {
      controllerOf(req).rs.requireAuth();
      next();
    } catch (err) {
      next(err);
    }
  };
}

/**
 * Middleware for sensitive actions: the user must have authenticated within `maxAge` (default: the
 * manager's `stepUpMaxAge`), else 401 problem `REAUTH_REQUIRED`.
 *
 * @example
 * app.post('/checkout', requireFresh('5m'), (req, res) => res.json({ ok: true }));
 */
export function requireFresh(maxAge?: Duration): RequestHandler {
  const ms = maxAge === undefined ? undefined : parseDuration(maxAge, 'requireFresh(maxAge)');
  return (req, _res, next) => {
    try {
      controllerOf(req).rs.requireFresh(ms);
      next();
    } catch (err) {
      next(err);
    }
  };
}

/**
 * Middleware for the most sensitive actions: the session must be device-bound (DBSC) with a recent
 * proof of the key (see `RequestSession.requireDeviceBound`); a DBSC browser is sent round a refresh
 * automatically (307), anything else is refused.
 *
 * @example
 * app.post('/checkout', requireDeviceBound(), (req, res) => res.json({ ok: true }));
 */
export function requireDeviceBound(maxAge?: Duration): RequestHandler {
  const ms = maxAge === undefined ? undefined : parseDuration(maxAge, 'requireDeviceBound(maxAge)');
  return (req, _res, next) => {
    try {
      controllerOf(req).rs.requireDeviceBound(ms);
      next();
    } catch (err) {
      next(err);
    }
  };
}

/** Options of {@link sessionErrorHandler}. */
export interface SessionErrorHandlerOptions {
  /** Also render errors that are not Tessera's, as a generic 500 problem (default false: passed on). */
  all?: boolean;
}

/**
 * Error middleware: Tessera errors become RFC 9457 problem JSON with their stable code and status,
 * or a 303 redirect to `loginUrl` for HTML requests that need a login. Mount it after your routes.
 *
 * @example
 * app.use(sessionErrorHandler());
 */
export function sessionErrorHandler(options: SessionErrorHandlerOptions = {}): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    // Tessera errors, and the 4xx errors of body parsers (bad charset, too many fields, bad gzip),
    // become problem JSON without internals; anything else only with `all`.
    if (!(err instanceof TesseraError) && clientErrorStatus(err) === undefined && !options.all)
      return next(err);
    const handler = (req as Slotted)[SLOT]?.adapter.handler;
    if (!(err instanceof TesseraError) && clientErrorStatus(err) === undefined) {
      const warn = handler?.options.logger?.warn ?? ((m: string) => console.warn(m));
      warn(`tessera: unexpected error: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (handler) {
      const out = handler.renderError(err, req.headers.accept);
      writeError(res, out);
      res.end(out.body);
      return;
    }
    const problem = toProblem(err);
    const body = JSON.stringify(problem);
    writeError(res, {
      status: problem.status,
      headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store' },
      body,
      problem,
    });
    res.end(body);
  };
}
