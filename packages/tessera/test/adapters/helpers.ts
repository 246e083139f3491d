/**
 * Helpers of the adapter conformance suite: a session manager with a frozen clock and a store that
 * can be switched off, a tiny cookie reader for Set-Cookie, and an HTTP client over Node's fetch
 * that never follows redirects.
 */

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import type { SessionManagerOptions } from '../../src/engine/options.ts';
import type { SessionManager } from '../../src/engine/session-manager.ts';
import { engineUnderTest, type FrozenClock, type InstrumentedStore } from '../helpers/engine.ts';

export { FrozenClock, InstrumentedStore } from '../helpers/engine.ts';

export const COOKIE = '__Host-sid';
export const SECOND = 1000;
export const MINUTE = 60_000;

/** A manager for adapter tests: memory store behind a switchable wrapper, fixed key, frozen clock. */
export interface TestManager {
  manager: SessionManager;
  clock: FrozenClock;
  store: InstrumentedStore;
}

export function testManager(options: Partial<SessionManagerOptions> = {}): TestManager {
  const { manager, clock, store } = engineUnderTest('memory', options);
  return { manager, clock, store };
}

/** One parsed Set-Cookie line. */
export interface SetCookie {
  name: string;
  value: string;
  /** Attribute names in lower case → value ('' for flags). */
  attrs: Map<string, string>;
  raw: string;
}

/** Parses a Set-Cookie line (enough for tests: name=value; attr; attr=value). */
export function parseSetCookie(line: string): SetCookie {
  const [pair = '', ...rest] = line.split(';');
  const eq = pair.indexOf('=');
  const attrs = new Map<string, string>();
  for (const part of rest) {
    const i = part.indexOf('=');
    const k = (i === -1 ? part : part.slice(0, i)).trim().toLowerCase();
    if (k) attrs.set(k, i === -1 ? '' : part.slice(i + 1).trim());
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attrs, raw: line };
}

/** Every Set-Cookie of a response for `name`. */
export function setCookies(res: Response, name = COOKIE): SetCookie[] {
  return res.headers
    .getSetCookie()
    .map(parseSetCookie)
    .filter((c) => c.name === name);
}

/** The last Set-Cookie for `name`, if any. */
export function setCookie(res: Response, name = COOKIE): SetCookie | undefined {
  return setCookies(res, name).at(-1);
}

/** True when the cookie line deletes the cookie (empty value, Max-Age=0 or an Expires in the past). */
export function isCleared(c: SetCookie): boolean {
  const expires = c.attrs.get('expires');
  return (
    c.value === '' ||
    c.attrs.get('max-age') === '0' ||
    (expires !== undefined && Date.parse(expires) <= Date.parse('2000-01-01'))
  );
}

/** A well-formed token (43 base64url characters) that was never issued. */
export function plantedToken(fill = 'A'): string {
  return `${fill.repeat(42)}Q`;
}

/** Options of one request of {@link Client}. */
export interface Req {
  method?: string;
  /** Form fields: sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /**
   * Overrides the client's cookie for this request only (a token, or null for none), or sends a
   * whole Cookie header via `cookieHeader`. Such a request does not update the client's cookie.
   */
  cookie?: string | null;
  cookieHeader?: string;
  /** Send `Origin: <app origin>` (default true for unsafe methods unless headers set one). */
  sameOrigin?: boolean;
}

/**
 * An HTTP client for one simulated browser: keeps the session cookie (applies Set-Cookie, drops it
 * when cleared), never follows redirects.
 */
export class Client {
  /** The session cookie's current value, or null. */
  token: string | null = null;
  constructor(
    readonly base: string,
    readonly cookieName = COOKIE,
  ) {}

  get origin(): string {
    return new URL(this.base).origin;
  }

  async request(path: string, init: Req = {}): Promise<Response> {
    const method = init.method ?? (init.form ? 'POST' : 'GET');
    const headers: Record<string, string> = { ...init.headers };
    const lower = new Set(Object.keys(headers).map((k) => k.toLowerCase()));
    const token = init.cookie === undefined ? this.token : init.cookie;
    if (init.cookieHeader !== undefined) headers.cookie = init.cookieHeader;
    else if (token) headers.cookie = `${this.cookieName}=${token}`;
    const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(method);
    if (unsafe && (init.sameOrigin ?? true) && !lower.has('origin')) headers.origin = this.origin;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(new URL(path, this.base), { method, headers, body, redirect: 'manual' });
    // A request with an overridden cookie stands for another browser: it leaves this jar alone.
    const c =
      init.cookie === undefined && init.cookieHeader === undefined
        ? setCookie(res, this.cookieName)
        : undefined;
    if (c) this.token = isCleared(c) ? null : c.value;
    return res;
  }

  get(path: string, init: Omit<Req, 'method'> = {}): Promise<Response> {
    return this.request(path, { ...init, method: 'GET' });
  }

  post(
    path: string,
    form: Record<string, string> = {},
    init: Omit<Req, 'method' | 'form'> = {},
  ): Promise<Response> {
    return this.request(path, { ...init, method: 'POST', form });
  }

  /** The CSRF token from the hidden `_csrf` field of an HTML page (GET /login by default). */
  async csrf(path = '/login'): Promise<string> {
    const res = await this.get(path);
    return csrfFromHtml(await res.text());
  }

  /** Logs alice in through the real form; returns the login response. */
  async login(extra: Record<string, string> = {}): Promise<Response> {
    const csrf = await this.csrf();
    return this.post('/login', { username: 'alice', password: 'wonderland', _csrf: csrf, ...extra });
  }
}

/** The value of the `_csrf` hidden input of a page. */
export function csrfFromHtml(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m?.[1]) throw new Error('no _csrf field in page');
  return m[1];
}

/** Listens on 127.0.0.1:0 and returns the base URL and a closer (also ends keep-alive sockets). */
export async function listen(server: Server): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/**
 * Sends raw bytes as one HTTP/1.1 request (Connection: close) and resolves with the raw response
 * text ('' when the server just closes). For headers fetch refuses to send: repeated Cookie
 * headers, bytes outside latin-1, oversized headers.
 */
export function rawRequest(base: string, head: string | Buffer, timeoutMs = 5000): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('raw request timed out'));
    }, timeoutMs);
    socket.on('connect', () => socket.write(head));
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => {
      /* a reset is an answer too */
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
  });
}

/** Status code of a raw HTTP response ('HTTP/1.1 401 …'), or 0 when there was none. */
export function rawStatus(text: string): number {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return m ? Number(m[1]) : 0;
}

/** Reads a problem+json body and checks its content type. */
export async function problemOf(
  res: Response,
): Promise<{ code: string; status: number; contentType: string }> {
  const contentType = res.headers.get('content-type') ?? '';
  const body = (await res.json()) as { code: string; status: number };
  return { code: body.code, status: body.status, contentType };
}

/** A form POST whose body is sent in two halves, the second only when `finish()` is called. */
export interface SlowPost {
  /** Sends the rest of the body and resolves with the raw response. */
  finish(): Promise<string>;
}

/**
 * Starts a POST with the given session cookie and form, sending the headers and half of the body
 * now (a slow upload in flight). Same-origin (sends `Origin`); asks for JSON.
 */
export async function startSlowPost(
  base: string,
  path: string,
  token: string,
  form: Record<string, string>,
): Promise<SlowPost> {
  const { hostname, port, host, origin } = new URL(base);
  const body = Buffer.from(new URLSearchParams(form).toString());
  const half = Math.floor(body.length / 2);
  const socket = connect(Number(port), hostname);
  const chunks: Buffer[] = [];
  const closed = new Promise<string>((resolve) => {
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.on('connect', () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nCookie: ${COOKIE}=${token}\r\nOrigin: ${origin}\r\n` +
          'Content-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\nUser-Agent: node\r\n' +
          `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
      );
      socket.write(body.subarray(0, half), () => resolve());
    });
  });
  return {
    finish() {
      socket.write(body.subarray(half));
      return closed;
    },
  };
}

/** The session cookie a raw response sets, if any (null: cleared). */
export function rawSetCookie(raw: string, name = COOKIE): string | null | undefined {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  let found: string | null | undefined;
  for (const line of head.split('\r\n')) {
    const m = /^set-cookie:\s*(.*)$/i.exec(line);
    if (!m?.[1]) continue;
    const c = parseSetCookie(m[1]);
    if (c.name === name) found = isCleared(c) ? null : c.value;
  }
  return found;
}

/** Sends a GET with the given cookie and drops the connection at once (the response is lost). */
export function abortedGet(base: string, path: string, token: string): Promise<void> {
  const { hostname, port, host } = new URL(base);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.on('error', () => {});
    socket.on('connect', () => {
      socket.end(
        `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nCookie: ${COOKIE}=${token}\r\nUser-Agent: node\r\n\r\n`,
        () => {
          socket.destroy();
          resolve();
        },
      );
    });
  });
}

/** Waits (polling, up to 2 s) until `check` holds. */
export async function eventually(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for: ${what}`);
}
