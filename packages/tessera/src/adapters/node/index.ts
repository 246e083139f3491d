/**
 * node:http adapter: `getSession(req, res, guard?)`, Tessera's own endpoints, and an error writer.
 * A thin mapping onto the shared handler (see docs/adapters.md).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duration } from '../../duration.ts';
import type { SessionManager } from '../../engine/session-manager.ts';
import type { AdapterOptions, SessionGuard } from '../../http/adapter.ts';
import { authGuard, createAdapterHandler, deviceBoundGuard, freshGuard } from '../../http/adapter.ts';
import { nodeExchange, nodeRequestInfo, writeEndpointResponse } from '../../http/node.ts';
import type { RequestSession } from '../../http/request-session.ts';
import type { RequestInfo, SessionHandler } from '../../http/session-handler.ts';

/** Options of {@link nodeSessions}: the shared adapter options. `clientIp` defaults to the socket's address. */
export type NodeSessionsOptions = AdapterOptions<IncomingMessage>;

/** The node:http adapter. */
export interface NodeSessions {
  readonly handler: SessionHandler;
  /**
   * The request's session (loaded once per request; later calls return the same one), after the
   * CSRF check that can run before the body is read. When {@link RequestSession.csrfPending}, read
   * the body and call `session.verifyCsrf(form._csrf)` before changing anything. `guard`
   * ({@link requireAuth}, {@link requireFresh}, …) is applied on every call.
   */
  getSession(req: IncomingMessage, res: ServerResponse, guard?: SessionGuard): Promise<RequestSession>;
  /** Answers Tessera's own endpoints (DBSC, when `deviceBound` is on); resolves true when it did. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Writes an error as problem JSON (or a login redirect for HTML requests) and ends the response. */
  sendError(req: IncomingMessage, res: ServerResponse, err: unknown): void;
}

/**
 * Sessions for plain node:http servers.
 *
 * @example
 * const sessions = nodeSessions(createSessionManager({ store: memoryStore() }), { loginUrl: '/login' });
 * http.createServer(async (req, res) => {
 *   try {
 *     if (await sessions.handle(req, res)) return; // DBSC endpoints, when deviceBound is on
 *     const session = await sessions.getSession(req, res, requireAuth());
 *     res.end(`Hello ${session.userId}`);
 *   } catch (err) { sessions.sendError(req, res, err); }
 * });
 */
export function nodeSessions(manager: SessionManager, options: NodeSessionsOptions = {}): NodeSessions {
  const handler = createAdapterHandler(manager, options);
  const clientIp = options.clientIp;
  // One slot per adapter instance, a symbol property of the request (cheaper for the GC than a WeakMap).
  const slot = Symbol('tessera.session');
  type Slotted = IncomingMessage & { [slot]?: Promise<RequestSession> };
  const info = (req: IncomingMessage) => nodeRequestInfo(req, clientIp?.(req));
  const checked = (rs: RequestSession, view: RequestInfo): RequestSession => {
    handler.checkCsrf(rs, view);
    return rs;
  };
  /**
   * Opens the request's session and applies `guard`: a session the handler answers synchronously
   * (memory, SQLite) costs one settled promise, not a chain of them.
   */
  const load = (
    r: Slotted,
    res: ServerResponse,
    guard: SessionGuard | undefined,
  ): Promise<RequestSession> => {
    const view = nodeExchange(r, res, clientIp?.(r));
    let rs: RequestSession;
    try {
      const opened = handler.open(view, view);
      if (opened instanceof Promise) {
        const p = opened.then((s) => checked(s, view));
        r[slot] = p;
        return guard === undefined ? p : p.then((s) => guarded(s, guard));
      }
      rs = checked(opened, view);
    } catch (err) {
      const failed = Promise.reject(err);
      r[slot] = failed;
      return failed;
    }
    const p = Promise.resolve(rs);
    r[slot] = p;
    if (guard === undefined) return p;
    try {
      guard(rs);
    } catch (err) {
      return Promise.reject(err);
    }
    return p;
  };
  const guarded = (rs: RequestSession, guard: SessionGuard): RequestSession => {
    guard(rs);
    return rs;
  };
  return {
    handler,
    getSession(req, res, guard) {
      const r = req as Slotted;
      const p = r[slot];
      if (p === undefined) return load(r, res, guard);
      return guard === undefined ? p : p.then((rs) => guarded(rs, guard));
    },
    async handle(req, res) {
      const endpoint = handler.serveEndpoint(info(req));
      if (!endpoint) return false;
      writeEndpointResponse(res, await endpoint);
      return true;
    },
    sendError(req, res, err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const out = handler.errorResponse(err, req.headers.accept);
      res.statusCode = out.status;
      for (const [k, v] of Object.entries(out.headers)) res.setHeader(k, v);
      res.end(out.body);
    },
  };
}

/** Guard for `getSession`: a user is logged in (401, or a redirect to `loginUrl` for HTML). */
export const requireAuth = (): SessionGuard => authGuard();
/** Guard for `getSession`: authenticated within `maxAge` (`'5m'` or ms), else 401 REAUTH_REQUIRED. */
export const requireFresh = (maxAge?: Duration): SessionGuard => freshGuard(maxAge);
/** Guard for `getSession`: device-bound (DBSC) with a key proof no older than `maxAge`. */
export const requireDeviceBound = (maxAge?: Duration): SessionGuard => deviceBoundGuard(maxAge);

export type { SessionGuard } from '../../http/adapter.ts';
export type { RequestSession } from '../../http/request-session.ts';
