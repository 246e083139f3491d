/**
 * The Express side of the express-session compatibility layer: one request's link between Express
 * and its {@link SessionController} (`req.sessionID`, saving property-style changes before the
 * response ends).
 * @internal
 */
import type { NextFunction, Request, Response } from 'express';
import type { ErrorResponse, SessionHandler } from '../../http/session-handler.ts';
import type { ExpressSession, SessionConfig, SessionController, SessionHost } from './session.ts';

/** What one `expressSessions()` instance shares between its requests. */
export interface Adapter {
  readonly handler: SessionHandler;
  readonly config: SessionConfig;
}

// The request's state lives in a symbol property (no WeakMap: cheaper for the GC on every request).
export const SLOT = Symbol('tessera.express');
export const ARRIVED = Symbol('tessera.express.arrived');
export type Slotted = Request & { [SLOT]?: RequestHost; [ARRIVED]?: number };

/** One request's link between Express and the session controller. */
export class RequestHost implements SessionHost {
  ctl: SessionController | null = null;
  #hooked = false;
  constructor(
    readonly req: Request,
    readonly res: Response,
    readonly adapter: Adapter,
    readonly next: NextFunction,
  ) {}
  formToken(): unknown {
    const body: unknown = this.req.body;
    const field = this.adapter.handler.csrfField;
    return body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined;
  }
  replaceSession(session: ExpressSession): void {
    this.req.session = session;
  }
  onDataLoaded(): void {
    if (this.#hooked) return;
    this.#hooked = true;
    saveBeforeEnd(this);
  }
}

/** `req.sessionID` as a getter on the app's request prototype (defined once, not per request). */
export function defineSessionId(req: Request): void {
  const proto = Object.getPrototypeOf(req) as object | null;
  if (!proto || Object.hasOwn(proto, 'sessionID')) return;
  Object.defineProperty(proto, 'sessionID', {
    configurable: true,
    enumerable: false,
    get(this: Slotted): string {
      return this[SLOT]?.ctl?.rs.id ?? '';
    },
    set(this: Slotted, value: unknown) {
      Object.defineProperty(this, 'sessionID', {
        value,
        writable: true,
        configurable: true,
        enumerable: true,
      });
    },
  });
}

/**
 * Saves pending data changes before the response is sent (installed only once a request touches
 * its data); a failed save replaces the response with the error.
 */
function saveBeforeEnd(host: RequestHost): void {
  const { req, res } = host;
  const end = res.end;
  res.end = function (this: Response, ...args: unknown[]) {
    res.end = end;
    const ctl = host.ctl;
    if (!ctl?.dirty) return end.apply(this, args as Parameters<typeof end>);
    ctl.save().then(
      () => end.apply(this, args as Parameters<typeof end>),
      (err: unknown) => {
        if (res.headersSent) return end.apply(this, args as Parameters<typeof end>);
        const out = host.adapter.handler.errorResponse(err, req.headers.accept);
        for (const name of res.getHeaderNames()) {
          if (name !== 'set-cookie' && name !== 'clear-site-data') res.removeHeader(name);
        }
        writeHead(res, out);
        return end.apply(this, [out.body] as unknown as Parameters<typeof end>);
      },
    );
    return this;
  } as Response['end'];
}

/** Status and headers of a rendered error (the caller ends the response with its body). */
export function writeHead(res: Response, out: ErrorResponse): void {
  res.statusCode = out.status;
  for (const [k, v] of Object.entries(out.headers)) res.setHeader(k, v);
  res.setHeader('content-length', Buffer.byteLength(out.body));
}
