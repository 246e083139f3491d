import { replaceSetCookie } from './cookie-header.ts';
import type { EndpointResponse } from './dbsc/index.ts';
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

// Classes rather than literals of closures: these are built for every request.

class WebRequestInfo implements RequestInfo {
  readonly method: string;
  readonly cookie: string | undefined;
  readonly ip: string | null;
  readonly encrypted: boolean;
  readonly #headers: Headers;
  readonly #request: Request;
  constructor(request: Request, ip: string | null) {
    this.#request = request;
    this.#headers = request.headers;
    this.method = request.method;
    this.cookie = request.headers.get('cookie') ?? undefined;
    this.ip = ip;
    // `Request.url` is always absolute and its scheme lower case.
    this.encrypted = request.url.startsWith('https:');
  }
  header(name: string): string | undefined {
    return this.#headers.get(name) ?? undefined;
  }
  get url(): string {
    const url = this.#request.url;
    // The path and query of an absolute URL: from the first '/' after the authority.
    const start = url.indexOf('/', url.indexOf('//') + 2);
    return start === -1 ? '/' : url.slice(start);
  }
}

/** A web `Response` for one of Tessera's own endpoints (DBSC registration and refresh). */
export function endpointResponse(out: EndpointResponse): Response {
  const headers = new Headers(out.headers);
  for (const c of out.cookies) headers.append('set-cookie', c);
  return new Response(out.body === '' ? null : out.body, { status: out.status, headers });
}

class HeadersSink implements ResponseSink {
  readonly #headers: Headers;
  constructor(headers: Headers) {
    this.#headers = headers;
  }
  setCookie(name: string, serialized: string): void {
    const headers = this.#headers;
    const list = replaceSetCookie(headers.getSetCookie(), name, serialized);
    headers.delete('set-cookie');
    for (const c of list) headers.append('set-cookie', c);
  }
  setHeader(name: string, value: string): void {
    this.#headers.set(name, value);
  }
}

/** Describes a web `Request` for the HTTP layer. Pass the client address; `Request` does not carry it. */
export function webRequestInfo(request: Request, ip: string | null = null): RequestInfo {
  return new WebRequestInfo(request, ip);
}

/** A {@link ResponseSink} that collects headers into a `Headers` object. */
export function headersSink(headers: Headers): ResponseSink {
  return new HeadersSink(headers);
}

/**
 * Loads the session of a web-standard `Request` (Hono, Bun, Deno, service workers, …).
 *
 * @example
 * const { session, apply } = await webSession(handler, request, clientIp);
 * return apply(new Response(`Hello ${session.userId ?? 'guest'}`));
 */
export async function webSession(
  handler: SessionHandler,
  request: Request,
  ip: string | null = null,
): Promise<WebSession> {
  const headers = new Headers();
  const session = await handler.begin(webRequestInfo(request, ip), headersSink(headers));
  return { session, headers, apply: (response) => applyHeaders(headers, response) };
}

/**
 * Copies the headers a session collected (Set-Cookie, Cache-Control, Clear-Site-Data) onto a
 * response; a copy of the response when its headers are immutable (a `fetch()` response).
 */
export function applyHeaders(headers: Headers, response: Response): Response {
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
}
