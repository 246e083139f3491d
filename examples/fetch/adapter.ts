/**
 * A fifth adapter, written the way docs/adapters.md describes: sessions for web-standard fetch
 * handlers (`(request: Request) => Response`, as Bun, Deno and service workers serve). It passes
 * the adapter contract suite (packages/tessera/test/adapters/fetch.test.ts).
 */
import type { SessionManager } from '@tessera-sessions/core';
import {
  type AdapterOptions,
  applyHeaders,
  createAdapterHandler,
  endpointResponse,
  headersSink,
  type RequestSession,
  type SessionGuard,
  webRequestInfo,
} from '@tessera-sessions/core/http';

/** A route of the app: the request and its session in, a Response out. */
export type Route = (request: Request, session: RequestSession) => Response | Promise<Response>;

const FORM = /^application\/x-www-form-urlencoded/i;

/** `fetchSessions(manager, options)(route, guard?)` is a fetch handler with sessions. */
export function fetchSessions(manager: SessionManager, options: AdapterOptions<Request> = {}) {
  const handler = createAdapterHandler(manager, options);
  return (route: Route, guard?: SessionGuard) =>
    async (request: Request): Promise<Response> => {
      const req = webRequestInfo(request, options.clientIp?.(request) ?? null);
      const endpoint = handler.serveEndpoint(req);
      if (endpoint) return endpointResponse(await endpoint);
      const headers = new Headers();
      try {
        const opened = handler.open(req, headersSink(headers));
        const session = opened instanceof Promise ? await opened : opened;
        handler.checkCsrf(session, req);
        if (session.csrfPending) {
          const form = FORM.test(request.headers.get('content-type') ?? '')
            ? Object.fromEntries(await request.clone().formData())
            : undefined;
          handler.checkCsrfBody(session, form);
        }
        guard?.(session);
        return applyHeaders(headers, await route(request, session));
      } catch (err) {
        const out = handler.errorResponse(err, request.headers.get('accept') ?? undefined);
        return applyHeaders(headers, new Response(out.body || null, out));
      }
    };
}
