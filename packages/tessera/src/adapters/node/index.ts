import type { IncomingMessage, ServerResponse } from 'node:http';
import { beginNow } from '../../engine/internal.ts';
import type { SessionManager } from '../../engine/session-manager.ts';
import { nodeRequestInfo, nodeResponseSink, writeEndpointResponse } from '../../http/node.ts';
import type { RequestSession } from '../../http/request-session.ts';
import type { SessionHandler, SessionHandlerOptions } from '../../http/session-handler.ts';
import { createSessionHandler } from '../../http/session-handler.ts';

/** Options of the node:http adapter. */
export interface NodeAdapterOptions extends SessionHandlerOptions {
  /** Client address of a request (default: the socket's remote address). */
  clientIp?: (req: IncomingMessage) => string | null;
}

/** The node:http adapter: `getSession(req, res)` and an error renderer. */
export interface NodeSessions {
  readonly handler: SessionHandler;
  /** The request's session (loaded once per request; later calls return the same object). */
  getSession(req: IncomingMessage, res: ServerResponse): Promise<RequestSession>;
  /**
   * Answers Tessera's own endpoints (DBSC registration and refresh, when `deviceBound` is on) and
   * resolves true when it did; call it first and stop when it answered.
   */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Writes an error as problem JSON (or a login redirect for HTML requests) and ends the response. */
  sendError(req: IncomingMessage, res: ServerResponse, err: unknown): void;
}

/**
 * Sessions for plain node:http servers.
 *
 * @example
 * const sessions = nodeSessions(createSessionManager({ store: memoryStore() }));
 * http.createServer(async (req, res) => {
 *   try {
 *     if (await sessions.handle(req, res)) return; // DBSC endpoints, when deviceBound is on
 *     const session = await sessions.getSession(req, res);
 *     res.end(`Hello ${session.userId ?? 'guest'}`);
 *   } catch (err) { sessions.sendError(req, res, err); }
 * });
 */
export function nodeSessions(manager: SessionManager, options: NodeAdapterOptions = {}): NodeSessions {
  const handler = createSessionHandler(manager, options);
  // One slot per adapter instance, as a symbol property of the request. (A WeakMap keyed by the
  // request, whose value reaches back to it through the response, costs the GC an ephemeron
  // fix-point for every request in flight.)
  const slot = Symbol('tessera.session');
  type Slotted = IncomingMessage & { [slot]?: Promise<RequestSession> };
  return {
    handler,
    getSession(req, res) {
      const r = req as Slotted;
      let p = r[slot];
      if (!p) {
        let opened: RequestSession | Promise<RequestSession>;
        try {
          opened = handler[beginNow](nodeRequestInfo(req, options.clientIp?.(req)), nodeResponseSink(res));
        } catch (err) {
          opened = Promise.reject(err);
        }
        p = opened instanceof Promise ? opened : Promise.resolve(opened);
        r[slot] = p;
      }
      return p;
    },
    async handle(req, res) {
      const endpoint = handler.serveEndpoint(nodeRequestInfo(req, options.clientIp?.(req)));
      if (!endpoint) return false;
      writeEndpointResponse(res, await endpoint);
      return true;
    },
    sendError(req, res, err) {
      const out = handler.renderError(err, req.headers.accept);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.statusCode = out.status;
      for (const [k, v] of Object.entries(out.headers)) res.setHeader(k, v);
      res.end(out.body);
    },
  };
}

export type { RequestSession } from '../../http/request-session.ts';
