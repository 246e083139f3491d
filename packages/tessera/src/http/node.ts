import type { IncomingMessage, ServerResponse } from 'node:http';
import { replaceSetCookie } from './cookie-header.ts';
import type { EndpointResponse } from './dbsc/index.ts';
import type { ResponseSink } from './request-session.ts';
import type { RequestInfo } from './session-handler.ts';

// Classes rather than object literals of closures: this runs on every request, and a per-request
// closure costs an allocation each (plus a `__name` call each when run through tsx/esbuild).

class NodeRequestInfo implements RequestInfo {
  readonly method: string;
  readonly cookie: string | string[] | undefined;
  readonly ip: string | null;
  readonly receivedAt: number | undefined;
  readonly #req: IncomingMessage;
  constructor(req: IncomingMessage, ip: string | null | undefined, receivedAt: number | undefined) {
    this.#req = req;
    this.method = req.method ?? 'GET';
    this.cookie = req.headers.cookie;
    this.ip = ip ?? req.socket.remoteAddress ?? null;
    this.receivedAt = receivedAt;
  }
  header(name: string): string | undefined {
    const v = this.#req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  }
  get encrypted(): boolean {
    return (this.#req.socket as { encrypted?: boolean }).encrypted === true;
  }
  get url(): string | undefined {
    // Express keeps the path before any mount point in `originalUrl`.
    return (this.#req as { originalUrl?: string }).originalUrl ?? this.#req.url;
  }
}

/** Sets the session cookie on a response (replacing an earlier one of the same name), unless it is already sent. */
function setResponseCookie(res: ServerResponse, name: string, serialized: string): void {
  if (res.headersSent) return;
  res.setHeader('set-cookie', replaceSetCookie(res.getHeader('set-cookie'), name, serialized));
}

/** Sets a header on a response, unless it is already sent. */
function setResponseHeader(res: ServerResponse, name: string, value: string): void {
  if (!res.headersSent) res.setHeader(name, value);
}

class NodeResponseSink implements ResponseSink {
  readonly #res: ServerResponse;
  constructor(res: ServerResponse) {
    this.#res = res;
  }
  setCookie(name: string, serialized: string): void {
    setResponseCookie(this.#res, name, serialized);
  }
  setHeader(name: string, value: string): void {
    setResponseHeader(this.#res, name, value);
  }
}

/**
 * A node:http request and its response as one object: the request view and the response sink the
 * handler takes (`handler.open(x, x)`), one allocation per request instead of two.
 */
class NodeExchange extends NodeRequestInfo implements ResponseSink {
  readonly #res: ServerResponse;
  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    ip: string | null | undefined,
    receivedAt: number | undefined,
  ) {
    super(req, ip, receivedAt);
    this.#res = res;
  }
  setCookie(name: string, serialized: string): void {
    setResponseCookie(this.#res, name, serialized);
  }
  setHeader(name: string, value: string): void {
    setResponseHeader(this.#res, name, value);
  }
}

/**
 * A node:http request and response as both the {@link RequestInfo} and the {@link ResponseSink} of
 * the handler (pass it as both). `ip` defaults to the socket's address.
 */
export function nodeExchange(
  req: IncomingMessage,
  res: ServerResponse,
  ip?: string | null,
  receivedAt?: number,
): RequestInfo & ResponseSink {
  return new NodeExchange(req, res, ip, receivedAt);
}

/**
 * Describes a node:http request for the HTTP layer (client address from the socket; `receivedAt`
 * when the adapter noted the request's arrival before reading its body).
 */
export function nodeRequestInfo(req: IncomingMessage, ip?: string | null, receivedAt?: number): RequestInfo {
  return new NodeRequestInfo(req, ip, receivedAt);
}

/** Writes a response of Tessera's own endpoints (DBSC) to a node:http response and ends it. */
export function writeEndpointResponse(res: ServerResponse, out: EndpointResponse): void {
  res.statusCode = out.status;
  for (const [k, v] of Object.entries(out.headers)) res.setHeader(k, v);
  if (out.cookies.length > 0)
    res.setHeader('set-cookie', replaceAll(res.getHeader('set-cookie'), out.cookies));
  res.end(out.body);
}

function replaceAll(existing: ReturnType<ServerResponse['getHeader']>, cookies: string[]): string[] {
  let list: string[] =
    existing === undefined ? [] : typeof existing === 'object' ? existing : [String(existing)];
  for (const c of cookies) list = replaceSetCookie(list, c.slice(0, c.indexOf('=')), c);
  return list;
}

/** A {@link ResponseSink} over a node:http response; replaces an earlier Set-Cookie of the same name. */
export function nodeResponseSink(res: ServerResponse): ResponseSink {
  return new NodeResponseSink(res);
}
