import { AuditError } from '../errors.ts';
import { CookieJar } from './cookie-jar.ts';
import type { Throttle } from './limits.ts';

/** One request the auditor sent and what came back, kept for the report's reproduction steps. */
export interface Exchange {
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: string | undefined;
  status: number;
  responseHeaders: Record<string, string>;
  setCookie: string[];
  body: string;
  durationMs: number;
}

/** What to send. `path` is resolved against the target origin; full URLs must be same-origin. */
export interface RequestSpec {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  form?: Record<string, string>;
  json?: unknown;
  body?: string;
  /** Follow same-origin redirects (GET afterwards), up to 5. Off by default. */
  followRedirects?: boolean;
}

const MAX_BODY = 512 * 1024;
/** Methods sent once more when the connection fails before any answer. */
const SAFE_RETRY = new Set(['GET', 'HEAD']);

/** True for the request's own time-out (never retried: the target is slow, not racing). */
function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * HTTP for probes: Node's fetch with `redirect: 'manual'`, a cookie jar per session, the
 * target's origin enforced on every request and redirect, and every request throttled.
 */
export class HttpClient {
  readonly origin: URL;
  readonly jar: CookieJar;
  readonly #throttle: Throttle;
  readonly #log: Exchange[] | undefined;

  constructor(origin: URL, throttle: Throttle, options: { jar?: CookieJar; log?: Exchange[] } = {}) {
    this.origin = new URL(origin.origin);
    this.#throttle = throttle;
    this.jar = options.jar ?? new CookieJar();
    this.#log = options.log;
  }

  /** Resolves a path on the target; throws OFF_ORIGIN for anything else. */
  resolve(pathOrUrl: string): URL {
    const url = new URL(pathOrUrl, this.origin);
    if (url.origin !== this.origin.origin) {
      throw new AuditError(
        'OFF_ORIGIN',
        `refusing to send a request to ${url.origin}: probes stay on ${this.origin.origin}`,
      );
    }
    return url;
  }

  /** Sends one request (and same-origin redirects when asked); returns the last exchange. */
  async send(spec: RequestSpec): Promise<Exchange> {
    const chain = await this.sendChain(spec);
    return chain[chain.length - 1] as Exchange;
  }

  /** Like `send`, but returns every exchange of the redirect chain, first to last. */
  async sendChain(spec: RequestSpec): Promise<Exchange[]> {
    const chain = [await this.#sendOnce(spec)];
    let exchange = chain[0] as Exchange;
    while (spec.followRedirects && exchange.status >= 300 && exchange.status < 400 && chain.length <= 5) {
      const location = exchange.responseHeaders.location;
      if (!location) break;
      const next = new URL(location, exchange.url);
      if (next.origin !== this.origin.origin) break; // never follow off-origin
      exchange = await this.#sendOnce({ path: next.pathname + next.search, method: 'GET' });
      chain.push(exchange);
    }
    return chain;
  }

  async #sendOnce(spec: RequestSpec): Promise<Exchange> {
    const url = this.resolve(spec.path);
    const method = (spec.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {
      'user-agent': 'tessera-audit/0.1',
      accept: 'text/html,application/json;q=0.9,*/*;q=0.8',
    };
    let body: string | undefined;
    if (spec.form) {
      body = new URLSearchParams(spec.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (spec.json !== undefined) {
      body = JSON.stringify(spec.json);
      headers['content-type'] = 'application/json';
    } else if (spec.body !== undefined) {
      body = spec.body;
    }
    if (UNSAFE.has(method)) {
      // What a browser sends for a same-origin form post; CSRF probes override these.
      headers.origin = this.origin.origin;
      headers['sec-fetch-site'] = 'same-origin';
    }
    const cookie = this.jar.headerFor(url);
    if (cookie) headers.cookie = cookie;
    for (const [k, v] of Object.entries(spec.headers ?? {})) {
      if (v === '') delete headers[k.toLowerCase()];
      else headers[k.toLowerCase()] = v;
    }
    await this.#throttle.acquire();
    const started = Date.now();
    let res: Response;
    const send = () =>
      fetch(url, {
        method,
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#throttle.limits.requestTimeoutMs),
      });
    try {
      try {
        res = await send();
      } catch (err) {
        // A kept-alive connection the server closed just as it was reused ("other side closed"):
        // a safe request is sent once more on a fresh connection. Time-outs are not retried.
        if (!SAFE_RETRY.has(method) || isTimeout(err)) throw err;
        res = await send();
      }
    } catch (err) {
      // Origin and path only: a query string may carry a profile secret or a token.
      throw new AuditError(
        'TARGET_UNREACHABLE',
        `${method} ${url.origin}${url.pathname} failed: ${describeFetchError(err)}`,
        {
          cause: err,
        },
      );
    }
    const text = await readLimited(res);
    const setCookie = res.headers.getSetCookie();
    this.jar.store(url, setCookie);
    const responseHeaders: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      if (k !== 'set-cookie') responseHeaders[k] = v;
    });
    const exchange: Exchange = {
      method,
      url: url.href,
      requestHeaders: headers,
      requestBody: body,
      status: res.status,
      responseHeaders,
      setCookie,
      body: text,
      durationMs: Date.now() - started,
    };
    this.#log?.push(exchange);
    return exchange;
  }
}

async function readLimited(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY) {
      await reader.cancel();
      break;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeFetchError(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `${err.cause.message}` : '';
    if (err.name === 'TimeoutError') return 'request timed out';
    return cause ? `${err.message} (${cause})` : err.message;
  }
  return String(err);
}
