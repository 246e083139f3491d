import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestInfo } from './session-handler.ts';
import type { ResponseSink } from './request-session.ts';

/** Describes a node:http request for the HTTP layer (client address from the socket). */
export function nodeRequestInfo(req: IncomingMessage, ip?: string | null): RequestInfo {
  return {
    method: req.method ?? 'GET',
    header: (name) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    },
    cookie: req.headers.cookie,
    ip: ip ?? req.socket.remoteAddress ?? null,
    encrypted: (req.socket as { encrypted?: boolean }).encrypted === true,
  };
}

/** A {@link ResponseSink} over a node:http response; replaces an earlier Set-Cookie of the same name. */
export function nodeResponseSink(res: ServerResponse): ResponseSink {
  return {
    setCookie(name, serialized) {
      if (res.headersSent) return;
      const prev = res.getHeader('set-cookie');
      const list = prev === undefined ? [] : Array.isArray(prev) ? prev : [String(prev)];
      res.setHeader('set-cookie', [...list.filter((c) => !c.startsWith(`${name}=`)), serialized]);
    },
    setHeader(name, value) {
      if (!res.headersSent) res.setHeader(name, value);
    },
  };
}
