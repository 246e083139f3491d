/**
 * Fastify 5 plugin: `request.session` (a {@link RequestSession}) loaded in an `onRequest` hook,
 * the CSRF guard in a `preHandler` hook, Tessera errors rendered as problem JSON.
 *
 * The plugin is marked with `Symbol.for('skip-override')` (what `fastify-plugin` does, without
 * the dependency): its hooks, decorators and error handler apply to the context it is registered
 * in and that context's children, never to siblings or the parent.
 * @module
 */
import type { TLSSocket } from 'node:tls';
import type {
  FastifyError,
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';
import type { Duration } from '../../duration.ts';
import { parseDuration } from '../../duration.ts';
import { beginNow, whenReady } from '../../engine/internal.ts';
import type { SessionManager } from '../../engine/session-manager.ts';
import { TesseraError } from '../../errors.ts';
import { replaceSetCookie } from '../../http/cookie-header.ts';
import { isSafeMethod } from '../../http/csrf.ts';
import { clientErrorStatus } from '../../http/problem.ts';
import type { RequestSession, ResponseSink } from '../../http/request-session.ts';
import type { RequestInfo, SessionHandler, SessionHandlerOptions } from '../../http/session-handler.ts';
import { createSessionHandler } from '../../http/session-handler.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's Tessera session (set by the `@tessera-sessions/core/fastify` plugin's `onRequest` hook). */
    session: RequestSession;
  }
  interface FastifyInstance {
    /** The framework-neutral session handler of the `@tessera-sessions/core/fastify` plugin in this context. */
    tessera: SessionHandler;
  }
}

/** Options of the Fastify plugin. */
export interface FastifyTesseraOptions extends SessionHandlerOptions {
  /** The session engine. */
  manager: SessionManager;
  /** Client address of a request (default `request.ip`, which follows Fastify's own `trustProxy`). */
  clientIp?: (request: FastifyRequest) => string | null;
  /**
   * Enforce the CSRF guard for unsafe methods in a `preHandler` hook (after body parsing, so the
   * `_csrf` field of a parsed form counts). Default true. When false, call
   * `request.session.verifyCsrf(field)` yourself.
   */
  verifyCsrf?: boolean;
  /**
   * Install an error handler in this context that renders Tessera errors as problem JSON (or a
   * login redirect for HTML requests) and passes every other error on to the parent error
   * handler. Default true.
   */
  errorHandler?: boolean;
}

// The request view and the response sink are classes, not literals of closures: they are built
// for every request (a closure costs an allocation each, and a `__name` call each under tsx).

/** A ResponseSink over a Fastify reply: Set-Cookie of the same name is replaced, not duplicated. */
class ReplySink implements ResponseSink {
  readonly #reply: FastifyReply;
  constructor(reply: FastifyReply) {
    this.#reply = reply;
  }
  setCookie(name: string, serialized: string): void {
    const reply = this.#reply;
    if (reply.sent) return;
    const prev = reply.getHeader('set-cookie');
    // Fastify appends to an existing Set-Cookie, so the old list goes first.
    if (prev !== undefined) reply.removeHeader('set-cookie');
    reply.header('set-cookie', replaceSetCookie(prev, name, serialized));
  }
  setHeader(name: string, value: string): void {
    if (!this.#reply.sent) this.#reply.header(name, value);
  }
}

/** What the HTTP layer needs to know of a Fastify request. */
class FastifyRequestInfo implements RequestInfo {
  readonly method: string;
  readonly cookie: string | string[] | undefined;
  readonly ip: string | null;
  readonly #request: FastifyRequest;
  constructor(request: FastifyRequest, ip: string | null) {
    this.#request = request;
    this.method = request.method;
    this.cookie = request.headers.cookie;
    this.ip = ip;
  }
  header(name: string): string | undefined {
    const v = this.#request.headers[name];
    return Array.isArray(v) ? v[0] : v;
  }
  get encrypted(): boolean {
    return (this.#request.raw.socket as TLSSocket | undefined)?.encrypted === true;
  }
  get url(): string {
    return this.#request.url;
  }
}

/** Sends a Tessera error through `reply` as problem JSON or a login redirect. */
function sendTesseraError(
  handler: SessionHandler,
  err: TesseraError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const out = handler.renderError(err, request.headers.accept);
  if (out.status >= 500) request.log.error({ err }, err.message);
  else request.log.info({ code: err.code }, err.message);
  reply.code(out.status).headers(out.headers).send(out.body);
}

const plugin: FastifyPluginCallback<FastifyTesseraOptions> = (fastify, options, done) => {
  const { manager, clientIp, verifyCsrf = true, errorHandler = true, ...handlerOptions } = options;
  if (!manager) {
    done(new TypeError('tessera/fastify: the `manager` option (a SessionManager) is required.'));
    return;
  }
  const handler = createSessionHandler(manager, handlerOptions);
  const field = handler.csrfField;

  if (!fastify.hasDecorator('tessera')) fastify.decorate('tessera', handler);
  else fastify.tessera = handler;
  if (!fastify.hasRequestDecorator('session'))
    fastify.decorateRequest('session', null as unknown as RequestSession);

  const guard = verifyCsrf && handlerOptions.csrf !== false;
  const tokenHeader = handler.csrfHeader;
  // Requests whose CSRF verdict needs no form field are checked in onRequest, before their body is
  // parsed (a cross-site POST is refused with 403 whatever its content type); the rest in preHandler.
  const checkedEarly = new WeakSet<FastifyRequest>();

  fastify.addHook(
    'onRequest',
    (request: FastifyRequest, reply: FastifyReply, next: HookHandlerDoneFunction) => {
      const ip = clientIp ? clientIp(request) : request.ip;
      const info = new FastifyRequestInfo(request, ip ?? null);
      const endpoint = handler.serveEndpoint(info);
      if (endpoint) {
        // Tessera's own endpoint (DBSC registration or refresh): answered here, routes never run.
        endpoint.then(
          (out) => {
            const sink = new ReplySink(reply);
            for (const c of out.cookies) sink.setCookie(c.slice(0, c.indexOf('=')), c);
            reply.code(out.status).headers(out.headers).send(out.body);
          },
          (err: unknown) => next(err as Error),
        );
        return;
      }
      // The common case (no store round trip, nothing to write) continues without a promise hop.
      whenReady(
        () => handler[beginNow](info, new ReplySink(reply)),
        (session) => attach(session, request, next),
        (err) => next(err as Error),
      );
    },
  );
  const attach = (session: RequestSession, request: FastifyRequest, next: HookHandlerDoneFunction): void => {
    request.session = session;
    if (guard && !isSafeMethod(request.method)) {
      const h = request.headers;
      if (h['sec-fetch-site'] !== undefined || h.origin !== undefined || h[tokenHeader] !== undefined) {
        checkedEarly.add(request);
        try {
          session.verifyCsrf();
        } catch (err) {
          next(err as Error);
          return;
        }
      }
    }
    next();
  };

  if (guard) {
    fastify.addHook(
      'preHandler',
      (request: FastifyRequest, _reply: FastifyReply, next: HookHandlerDoneFunction) => {
        if (isSafeMethod(request.method) || checkedEarly.has(request)) {
          next();
          return;
        }
        const body = request.body;
        const token =
          body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined;
        try {
          request.session.verifyCsrf(Array.isArray(token) ? undefined : token);
        } catch (err) {
          next(err as Error);
          return;
        }
        next();
      },
    );
  }

  if (errorHandler) {
    fastify.setErrorHandler((err: FastifyError | TesseraError, request, reply) => {
      if (err instanceof TesseraError) {
        sendTesseraError(handler, err, request, reply);
        return;
      }
      const code = (err as FastifyError).code;
      if (
        typeof code === 'string' &&
        code.startsWith('FST_ERR_CTP_') &&
        clientErrorStatus(err) !== undefined
      ) {
        // A body that does not parse (unsupported type, bad JSON, too large): problem JSON, no internals.
        request.log.info({ code }, 'request body refused');
        const out = handler.renderError(err, undefined);
        reply.code(out.status).headers(out.headers).send(out.body);
        return;
      }
      // Not ours: the parent context's error handler (ultimately Fastify's default) takes it.
      throw err;
    });
  }
  done();
};

/**
 * The Tessera plugin for Fastify 5. Register it in the context whose routes need sessions; every
 * request there gets `request.session`, unsafe methods pass the CSRF guard, and Tessera errors
 * become problem JSON (401/403/503 …) or a redirect to `loginUrl` for HTML requests.
 *
 * Pair it with a form body parser (`@fastify/formbody`) if HTML forms post the `_csrf` field;
 * API clients send the `x-csrf-token` header instead.
 *
 * @example
 * import Fastify from 'fastify';
 * import { tessera, requireAuth } from '@tessera-sessions/core/fastify';
 * const app = Fastify();
 * await app.register(tessera, { manager, loginUrl: '/login' });
 * app.get('/me', { preHandler: requireAuth() }, (req) => ({ userId: req.session.userId }));
 */
export const tessera: FastifyPluginCallback<FastifyTesseraOptions> = Object.assign(plugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'tessera',
  [Symbol.for('plugin-meta')]: { name: 'tessera', fastify: '5.x' },
});

type PreHandler = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/**
 * Route `preHandler` that refuses requests without a logged-in user (401 UNAUTHENTICATED, or a
 * redirect to `loginUrl` for HTML requests).
 *
 * @example
 * app.get('/account', { preHandler: requireAuth() }, handler);
 */
export function requireAuth(): PreHandler {
  return (request, _reply, done) => {
    try {
      sessionOf(request).requireAuth();
    } catch (err) {
      done(err as Error);
      return;
    }
    done();
  };
}

/**
 * Route `preHandler` for sensitive actions: the user must have authenticated within `maxAge`
 * (default: the manager's step-up policy), otherwise 401 REAUTH_REQUIRED.
 *
 * @example
 * app.post('/checkout', { preHandler: requireFresh('5m') }, handler);
 */
export function requireFresh(maxAge?: Duration): PreHandler {
  const ms = maxAge === undefined ? undefined : parseDuration(maxAge, 'requireFresh.maxAge');
  return (request, _reply, done) => {
    try {
      sessionOf(request).requireFresh(ms);
    } catch (err) {
      done(err as Error);
      return;
    }
    done();
  };
}

/**
 * Route `preHandler` for the most sensitive actions: the session must be device-bound (DBSC) with a
 * recent proof of the key (see `RequestSession.requireDeviceBound`).
 *
 * @example
 * app.post('/checkout', { preHandler: requireDeviceBound() }, handler);
 */
export function requireDeviceBound(maxAge?: Duration): PreHandler {
  const ms = maxAge === undefined ? undefined : parseDuration(maxAge, 'requireDeviceBound.maxAge');
  return (request, _reply, done) => {
    try {
      sessionOf(request).requireDeviceBound(ms);
    } catch (err) {
      done(err as Error);
      return;
    }
    done();
  };
}

function sessionOf(request: FastifyRequest): RequestSession {
  const s = request.session as RequestSession | null;
  if (!s)
    throw new TypeError(
      'tessera/fastify: no session on this request; register the tessera plugin in this context.',
    );
  return s;
}

/** Exposed for apps that turn the plugin's error handler off and render errors themselves. */
export function replyTesseraError(
  fastify: FastifyInstance,
  err: TesseraError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  sendTesseraError(fastify.tessera, err, request, reply);
}

export type { RequestSession } from '../../http/request-session.ts';
