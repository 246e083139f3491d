import type { RequestSession, ResponseSink } from './request-session.ts';
import type { RequestInfo, SessionHandler } from './session-handler.ts';

/** The session of a web-standard `Request`, with the headers to put on the `Response`. */
export interface WebSession {
  session: RequestSession;
  /** Headers the session wants on the response (Set-Cookie, Cache-Control, Clear-Site-Data). */
  headers: Headers;
  /** Copies those headers onto a response (a new Response when the given one is immutable). */
  apply(response: Response): Response;
}

/** Describes a web `Request` for the HTTP layer. Pass the client address; `Request` does not carry it. */
export function webRequestInfo(request: Request, ip: string | null = null): RequestInfo {
  return {
    method: request.method,
    header: (name) => request.headers.get(name) ?? undefined,
    cookie: request.headers.get('cookie') ?? undefined,
    ip,
    encrypted: new URL(request.url).protocol === 'https:',
  };
}

/** A {@link ResponseSink} that collects headers into a `Headers` object. */
export function headersSink(headers: Headers): ResponseSink {
  return {
    setCookie(name, serialized) {
      const keep = headers.getSetCookie().filter((c) => !c.startsWith(`${name}=`));
      headers.delete('set-cookie');
      for (const c of keep) headers.append('set-cookie', c);
      headers.append('set-cookie', serialized);
    },
    setHeader(name, value) {
      headers.set(name, value);
    },
  };
}

/**
 * Loads the session of a web-standard `Request` (Hono, Bun, Deno, service workers, …).
 *
 * @example
 * const { session, apply } = await webSession(handler, request, clientIp);
 * return apply(new Response(`Hello ${session.userId ?? 'guest'}`));
 */
export async function webSession(handler: SessionHandler, request: Request, ip: string | null = null): Promise<WebSession> {
  const headers = new Headers();
  const session = await handler.begin(webRequestInfo(request, ip), headersSink(headers));
  return {
    session,
    headers,
    apply(response) {
      let out = response;
      try {
        for (const [k, v] of headers) if (k !== 'set-cookie') out.headers.set(k, v);
        for (const c of headers.getSetCookie()) out.headers.append('set-cookie', c);
      } catch {
        out = new Response(response.body, response);
        for (const [k, v] of headers) if (k !== 'set-cookie') out.headers.set(k, v);
        for (const c of headers.getSetCookie()) out.headers.append('set-cookie', c);
      }
      return out;
    },
  };
}
