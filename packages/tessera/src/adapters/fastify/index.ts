/**
 * Fastify 5 adapter: `request.session` loaded in an `onRequest` hook, the CSRF form field checked
 * in a `preHandler` hook, Tessera errors rendered by the shared handler. The plugin is marked
 * `skip-override` (what `fastify-plugin` does): it applies to the context it is registered in and
 * that context's children.
 * @module
 */
import type { TLSSocket } from 'node:tls';
import type { FastifyPluginCallback, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Duration } from '../../duration.ts';
import type { SessionManager } from '../../engine/session-manager.ts';
import { TesseraError } from '../../errors.ts';
import type { AdapterOptions, SessionGuard } from '../../http/adapter.ts';
import { authGuard, createAdapterHandler, deviceBoundGuard, freshGuard } from '../../http/adapter.ts';
import { optionChecks } from '../../http/adapter-options.ts';
import { replaceSetCookie } from '../../http/cookie-header.ts';
import { clientErrorStatus } from '../../http/problem.ts';
import type { RequestSession, ResponseSink } from '../../http/request-session.ts';
import type { RequestInfo, SessionHandler } from '../../http/session-handler.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's Tessera session (set by the `fastifySessions()` plugin's `onRequest` hook). */
    session: RequestSession;
  }
  interface FastifyInstance {
    /** The session handler of the `fastifySessions()` plugin registered in this context. */
    tessera: SessionHandler;
  }
}

/** Options of {@link fastifySessions}: the shared adapter options, plus `errorHandler`. */
export interface FastifySessionsOptions extends AdapterOptions<FastifyRequest> {
  /** Install the error handler in this context (Tessera errors and unparsable bodies; others go to the parent). Default true. */
  errorHandler?: boolean;
}

/** A ResponseSink over a reply: a Set-Cookie of the same name is replaced, not duplicated. */
class ReplySink implements ResponseSink {
  constructor(readonly reply: FastifyReply) {}
  setCookie(name: string, serialized: string): void {
    const reply = this.reply;
    if (reply.sent) return;
    const prev = reply.getHeader('set-cookie');
    if (prev !== undefined) reply.removeHeader('set-cookie'); // Fastify appends otherwise
    reply.header('set-cookie', replaceSetCookie(prev, name, serialized));
  }
  setHeader(name: string, value: string): void {
    if (!this.reply.sent) this.reply.header(name, value);
  }
}

/** The request view; it also carries the hook's `next`, so it is the state of `handler.start`. */
class FastifyRequestInfo implements RequestInfo {
  readonly method: string;
  readonly cookie: string | string[] | undefined;
  constructor(
    readonly request: FastifyRequest,
    readonly ip: string | null,
    readonly next: HookHandlerDoneFunction,
  ) {
    this.method = request.method;
    this.cookie = request.headers.cookie;
  }
  header(name: string): string | undefined {
    const v = this.request.headers[name];
    return Array.isArray(v) ? v[0] : v;
  }
  get encrypted(): boolean {
    return (this.request.raw.socket as TLSSocket | undefined)?.encrypted === true;
  }
  get url(): string {
    return this.request.url;
  }
}

function started(info: FastifyRequestInfo, err: unknown, rs: RequestSession | null): void {
  if (rs) info.request.session = rs;
  info.next((err ?? undefined) as Error | undefined);
}

/**
 * The Tessera plugin for Fastify 5: `app.register(fastifySessions(manager, { loginUrl: '/login' }))`.
 * Pair it with `@fastify/formbody` if HTML forms post the `_csrf` field.
 */
export function fastifySessions(
  manager: SessionManager,
  options: FastifySessionsOptions = {},
): FastifyPluginCallback {
  const handler = createAdapterHandler(manager, options, { errorHandler: optionChecks.boolean });
  const clientIp = options.clientIp;
  const plugin: FastifyPluginCallback = (fastify, _opts, done) => {
    if (!fastify.hasDecorator('tessera')) fastify.decorate('tessera', handler);
    else fastify.tessera = handler;
    if (!fastify.hasRequestDecorator('session'))
      fastify.decorateRequest('session', null as unknown as RequestSession);
    fastify.addHook('onRequest', (request, reply, next) => {
      const info = new FastifyRequestInfo(request, (clientIp ? clientIp(request) : request.ip) ?? null, next);
      const endpoint = handler.serveEndpoint(info);
      if (!endpoint) return handler.start(info, new ReplySink(reply), info, started);
      // Tessera's own endpoint (DBSC registration or refresh): answered here, routes never run.
      endpoint.then((out) => {
        const sink = new ReplySink(reply);
        for (const c of out.cookies) sink.setCookie(c.slice(0, c.indexOf('=')), c);
        reply.code(out.status).headers(out.headers).send(out.body);
      }, next);
    });
    fastify.addHook('preHandler', (request, _reply, next) => {
      try {
        if (request.session?.csrfPending) handler.checkCsrfBody(request.session, request.body);
      } catch (err) {
        return next(err as Error);
      }
      next();
    });
    if (options.errorHandler !== false) {
      fastify.setErrorHandler((err, request, reply) => {
        // Tessera's errors, and bodies that do not parse (FST_ERR_CTP_*); the rest to the parent handler.
        const code = (err as { code?: unknown }).code;
        const body =
          typeof code === 'string' && code.startsWith('FST_ERR_CTP_') && clientErrorStatus(err) !== undefined;
        if (!(err instanceof TesseraError) && !body) throw err;
        const out = handler.errorResponse(err, body ? undefined : request.headers.accept);
        reply.code(out.status).headers(out.headers).send(out.body);
      });
    }
    done();
  };
  return Object.assign(plugin, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'tessera',
    [Symbol.for('plugin-meta')]: { name: 'tessera', fastify: '5.x' },
  });
}

const preHandlerOf =
  (guard: SessionGuard) =>
  (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const rs = request.session as RequestSession | null;
    try {
      if (!rs)
        throw new TypeError('tessera/fastify: no session; register fastifySessions() in this context.');
      guard(rs);
    } catch (err) {
      done(err as Error);
      return;
    }
    done();
  };

/** Route `preHandler`: a user is logged in (401, SESSION_EXPIRED, or a redirect to `loginUrl` for HTML). */
export const requireAuth = () => preHandlerOf(authGuard());
/** Route `preHandler`: authenticated within `maxAge` (`'5m'` or ms; default `stepUpMaxAge`), else 401 REAUTH_REQUIRED. */
export const requireFresh = (maxAge?: Duration) => preHandlerOf(freshGuard(maxAge));
/** Route `preHandler`: device-bound (DBSC) with a key proof no older than `maxAge`. */
export const requireDeviceBound = (maxAge?: Duration) => preHandlerOf(deviceBoundGuard(maxAge));

export type { RequestSession } from '../../http/request-session.ts';
