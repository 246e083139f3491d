import type { IncomingMessage, ServerResponse } from 'node:http';
import { replaceSetCookie } from './cookie-header.ts';
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
}

class NodeResponseSink implements ResponseSink {
  readonly #res: ServerResponse;
  constructor(res: ServerResponse) {
    this.#res = res;
  }
  setCookie(name: string, serialized: string): void {
    const res = this.#res;
    if (res.headersSent) return;
    res.setHeader('set-cookie', replaceSetCookie(res.getHeader('set-cookie'), name, serialized));
  }
  setHeader(name: string, value: string): void {
    if (!this.#res.headersSent) this.#res.setHeader(name, value);
  }
}

/**
 * Describes a node:http request for the HTTP layer (client address from the socket; `receivedAt`
 * when the adapter noted the request's arrival before reading its body).
 */
export function nodeRequestInfo(req: IncomingMessage, ip?: string | null, receivedAt?: number): RequestInfo {
  return new NodeRequestInfo(req, ip, receivedAt);
}

/** A {@link ResponseSink} over a node:http response; replaces an earlier Set-Cookie of the same name. */
export function nodeResponseSink(res: ServerResponse): ResponseSink {
  return new NodeResponseSink(res);
}
