import type { RequestContext } from '../engine/binding.ts';
import { emitEvent, validateNow } from '../engine/internal.ts';
import type { Session } from '../engine/session.ts';
import type { SessionManager, ValidateResult } from '../engine/session-manager.ts';
import { ConfigError, DeviceProofRequiredError, RateLimitedError } from '../errors.ts';
import { validateHandlerOptions } from './adapter-options.ts';
import { DUPLICATE, sessionCookieValue } from './cookie-header.ts';
import type { CookieOptions, ResolvedCookie } from './cookie-options.ts';
import { isLocalHost, resolveCookieOptions } from './cookie-options.ts';
import type { CsrfOptions, CsrfRequest } from './csrf.ts';
import { isSafeMethod } from './csrf.ts';
import type { DeviceBoundOptions, DeviceCheck, EndpointResponse } from './dbsc/index.ts';
import { DeviceBoundSessions, resolveDeviceBound } from './dbsc/index.ts';
import type { ProblemDetails } from './problem.ts';
import { isKnownError, PROBLEM_CONTENT_TYPE, toProblem } from './problem.ts';
import type { CsrfPolicy, DeviceState, ResponseSink } from './request-session.ts';
import { RequestSession } from './request-session.ts';

/** Options shared by every framework adapter. */
export interface SessionHandlerOptions {
  /** Session cookie settings (default `__Host-sid`, Secure, HttpOnly, SameSite=Lax). */
  cookie?: CookieOptions;
  /**
   * The origin users reach the app at (`https://shop.example`). Used as the request's own origin
   * for CSRF checks instead of the Host header, and checked at start-up: a plain-HTTP origin
   * other than localhost is refused unless `cookie.insecure` is set.
   */
  publicOrigin?: string;
  /**
   * CSRF guard options (`check: 'manual'` to call `verifyCsrf` yourself instead of the adapter),
   * or `false` to turn the guard off (only for apps with their own).
   */
  csrf?: CsrfOptions | false;
  /**
   * Where HTML requests that need a login are redirected (otherwise they get problem JSON). When
   * the request's session had expired, `session=expired` is added to the query.
   */
  loginUrl?: string;
  /**
   * Called with every error the handler renders and the response it is about to send; return
   * another {@link ErrorResponse} to send that instead (an HTML page, say), or nothing to keep it.
   * A good place to report errors. It must not throw.
   */
  onError?: (err: unknown, response: ErrorResponse) => ErrorResponse | undefined;
  /** Honour `X-Forwarded-Proto`/`X-Forwarded-Host` when working out the request's origin. Default false. */
  trustProxy?: boolean;
  /**
   * Where configuration warnings and unexpected (non-Tessera, 5xx) errors go (default
   * `console.warn`). Never receives tokens or data.
   */
  logger?: { warn(message: string): void };
  /**
   * Device Bound Session Credentials: `{}` turns them on in `optional` mode (browsers with DBSC
   * register a key after login and must keep proving it; others keep ordinary cookie sessions).
   * Off by default. See docs/device-bound-sessions.md.
   */
  deviceBound?: DeviceBoundOptions | false;
  /**
   * The `Clear-Site-Data` value a logout sends (default `'"cookies"'`), or `false` for none. Browsers
   * apply `"cookies"` to the whole registrable domain: a logout on `app.example.com` also clears the
   * cookies of `other.example.com`. Apps sharing a domain with others should pass `false` (the
   * session cookie is cleared by its own Set-Cookie either way) or e.g. `'"cache", "storage"'`.
   */
  clearSiteData?: string | false;
}

/** What an adapter tells the handler about a request. */
export interface RequestInfo {
  method: string;
  /** Lower-case header lookup; a repeated header may come joined or as its first value. */
  header(name: string): string | undefined;
  /** The raw Cookie header(s). */
  cookie: string | string[] | undefined;
  /** Client address. */
  ip: string | null;
  /** True when the connection itself is TLS. */
  encrypted: boolean;
  /** Path and query as in the request line (for Tessera's own endpoints and DBSC redirects). */
  readonly url?: string;
  /** When the request arrived (manager clock), if earlier than now; see `RequestContext.receivedAt`. */
  receivedAt?: number;
}

/** A rendered error: status, headers and body. */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  problem: ProblemDetails;
}

/**
 * The framework-neutral HTTP layer: reads the session cookie (and nothing else), validates it,
 * and hands the adapter a {@link RequestSession} that writes cookies and headers through a
 * {@link ResponseSink}. Adapters are thin translations onto this.
 */
export class SessionHandler {
  readonly manager: SessionManager;
  readonly cookie: ResolvedCookie;
  readonly options: Readonly<SessionHandlerOptions>;
  readonly #csrf: CsrfOptions | false;
  readonly #csrfPolicy: CsrfPolicy | null;
  /** The adapter runs the CSRF check (guard on, `check` not `'manual'`). */
  readonly #csrfAuto: boolean;
  readonly #publicOrigin: string | null;
  readonly #tokenHeader: string;
  readonly #clearSiteData: string | null;
  readonly #originOf = (req: RequestInfo): string | null => this.#selfOrigin(req);
  readonly #dbsc: DeviceBoundSessions | null;
  readonly #warn: (message: string) => void;

  constructor(manager: SessionManager, options: SessionHandlerOptions = {}) {
    validateHandlerOptions(options);
    this.manager = manager;
    this.options = options;
    const logger = options.logger;
    this.#warn = logger ? (m) => logger.warn(m) : (m) => console.warn(m);
    this.cookie = resolveCookieOptions(options.cookie, options.publicOrigin);
    this.#csrf = options.csrf ?? {};
    this.#csrfAuto = this.#csrf !== false && this.#csrf.check !== 'manual';
    this.#publicOrigin = options.publicOrigin ? new URL(options.publicOrigin).origin : null;
    if (!this.#publicOrigin && this.#csrf !== false && process.env.NODE_ENV === 'production') {
      throw new ConfigError(
        'publicOrigin',
        'is required when NODE_ENV=production: without it the CSRF check compares Origin with the Host header.',
      );
    }
    this.#clearSiteData = options.clearSiteData === false ? null : (options.clearSiteData ?? '"cookies"');
    this.#tokenHeader = (
      (this.#csrf === false ? undefined : this.#csrf.headerName) ?? 'x-csrf-token'
    ).toLowerCase();
    this.#csrfPolicy =
      this.#csrf === false ? null : new CsrfGuard(this.#csrf, this.#originOf, this.#tokenHeader);
    const dbsc = resolveDeviceBound(options.deviceBound);
    this.#dbsc = dbsc ? new DeviceBoundSessions(manager, this.cookie, dbsc) : null;
  }

  /** True when the handler has endpoints of its own (DBSC on); adapters may skip `serveEndpoint` otherwise. */
  get servesEndpoints(): boolean {
    return this.#dbsc !== null;
  }

  /**
   * Answers Tessera's own endpoints (the DBSC registration and refresh endpoints); null — at once,
   * without a promise — when the request is not for one of them. Adapters call it first and, when
   * it answers, write the response as is and skip the app's routes. Rejects only with
   * `STORE_UNAVAILABLE`.
   */
  serveEndpoint(req: RequestInfo): Promise<EndpointResponse> | null {
    const dbsc = this.#dbsc;
    if (dbsc === null || req.method !== 'POST') return null;
    const kind = dbsc.endpointFor(req.url);
    if (kind === null) return null;
    return this.#serveDbsc(dbsc, kind, req);
  }

  async #serveDbsc(
    dbsc: DeviceBoundSessions,
    kind: 'register' | 'refresh',
    req: RequestInfo,
  ): Promise<EndpointResponse> {
    const ctx = requestContext(req);
    const token = sessionCookieValue(req.cookie, this.cookie.name);
    const result = token === null || token === DUPLICATE ? null : await this.manager.validate(token, ctx);
    const sink = new CollectingSink();
    // The refresh endpoint is reached precisely when the bound cookie is missing: no device check here.
    const rs = this.#openChecked(req, sink, ctx, result, null);
    const res = await dbsc.serve(kind, rs.current, req, ctx);
    return {
      status: res.status,
      headers: { ...sink.headers, ...res.headers },
      cookies: [...sink.cookies.values(), ...res.cookies],
      body: res.body,
    };
  }

  /**
   * The device-binding check `begin` applies, for a session the caller validated itself — e.g. a
   * reverse-proxy auth endpoint (nginx `auth_request`) that receives the user's forwarded Cookie
   * header. A bound session must carry a genuine, unexpired bound cookie (`<cookie name>-bound`);
   * without one it is treated as stolen under `deviceBound.onMissingProof` (the family revoked, or
   * flagged for step-up), exactly as in `begin`. Sessions without a binding, or DBSC off: `unbound`.
   * Only `proven`, `grace` and `unbound` mean the request may be served as this session. Rejects
   * only with `STORE_UNAVAILABLE`.
   */
  async checkDevice(
    session: Session,
    req: Pick<RequestInfo, 'header' | 'cookie'>,
    ctx: RequestContext,
  ): Promise<DeviceCheck> {
    return this.#dbsc === null ? { kind: 'unbound' } : this.#dbsc.check(session, req, ctx);
  }

  /**
   * Loads the request's session. Throws only `STORE_UNAVAILABLE` (fail closed: the request must
   * get a 503, never a session). A duplicated, malformed, unknown or ended cookie is "no session"
   * and the stale cookie is cleared.
   */
  async begin(req: RequestInfo, sink: ResponseSink): Promise<RequestSession> {
    return this.open(req, sink);
  }

  /**
   * `begin` with a synchronous fast path: the session itself when the store answered synchronously
   * and nothing needed writing (the common case with the memory and SQLite stores), a promise
   * otherwise. Test with `instanceof Promise`. Throws or rejects only with `STORE_UNAVAILABLE`.
   */
  open(req: RequestInfo, sink: ResponseSink): RequestSession | Promise<RequestSession> {
    if (!this.#plainHttpSettled && !req.encrypted) this.#checkPlainHttp(req);
    const ctx = requestContext(req);
    const token = sessionCookieValue(req.cookie, this.cookie.name);
    if (token === DUPLICATE) {
      emitEvent(this.manager, {
        type: 'session.invalid_token',
        at: this.manager.now(),
        sessionId: null,
        userId: null,
        ip: req.ip,
        userAgent: ctx.userAgent ?? null,
        reason: 'duplicate',
      });
      return this.#open(req, sink, ctx, null);
    }
    if (token === null) return this.#open(req, sink, ctx, null);
    const result = this.manager[validateNow](token, ctx);
    if (result instanceof Promise) return result.then((r) => this.#open(req, sink, ctx, r));
    return this.#open(req, sink, ctx, result);
  }

  /** The request's session from a validation result (null: the request carried no usable cookie). */
  #open(
    req: RequestInfo,
    sink: ResponseSink,
    ctx: RequestContext,
    result: ValidateResult | null,
  ): RequestSession | Promise<RequestSession> {
    if (this.#dbsc === null || !result?.ok) return this.#openChecked(req, sink, ctx, result, null);
    const check = this.#dbsc.check(result.session, req, ctx);
    if (check instanceof Promise) return check.then((c) => this.#openChecked(req, sink, ctx, result, c));
    return this.#openChecked(req, sink, ctx, result, check);
  }

  #openChecked(
    req: RequestInfo,
    sink: ResponseSink,
    ctx: RequestContext,
    result: ValidateResult | null,
    check: DeviceCheck | null,
  ): RequestSession {
    const dbsc = this.#dbsc;
    const device: DeviceState | null =
      dbsc === null
        ? null
        : {
            dbsc,
            proofAt: check?.kind === 'proven' ? check.issuedAt : null,
            bound: check?.kind === 'proven' || check?.kind === 'grace',
            url: req.url,
          };
    let session = result?.ok ? result.session : null;
    if (check?.kind === 'revoked') session = null;
    else if (check?.kind === 'step-up') session = check.session;
    const rs = new RequestSession(
      this.manager,
      session,
      this.cookie,
      sink,
      ctx,
      req,
      this.#csrfPolicy,
      device,
      this.#clearSiteData,
    );
    if (result !== null) {
      if (!result.ok || check?.kind === 'revoked') RequestSession.renewCookie(rs, null);
      else if (result.token) RequestSession.renewCookie(rs, result.token);
      if (!result.ok && result.reason === 'expired') RequestSession.markExpired(rs, result);
    }
    if (check?.kind === 'revoked' && dbsc) sink.setCookie(dbsc.cookieName, dbsc.expiredCookie());
    // The browser could not refresh (it says so): nobody is logged out, but this request carries no
    // proof, so it gets no session. A token renewed above is still delivered.
    if (check?.kind === 'skipped') RequestSession.detach(rs);
    return rs;
  }

  /** Lower-case name of the header that carries the CSRF token (default `x-csrf-token`). */
  get csrfHeader(): string {
    return this.#tokenHeader;
  }

  /** Name of the form field that carries the CSRF token (default `_csrf`). */
  get csrfField(): string {
    return (this.#csrf === false ? undefined : this.#csrf.fieldName) ?? '_csrf';
  }

  /**
   * The adapter contract's session start: {@link open}, then the CSRF check that can run before
   * the body is read ({@link checkCsrf}). `done(state, null, session)` runs synchronously when the
   * store answered synchronously, later otherwise; `done(state, err, null)` on STORE_UNAVAILABLE
   * or a refused cross-site request. `state` is handed back as is, so an adapter can pass its
   * per-request object instead of allocating a closure. The session may still wait for its form
   * field ({@link RequestSession.csrfPending}): call {@link checkCsrfBody} once the body is parsed.
   */
  start<S>(
    req: RequestInfo,
    sink: ResponseSink,
    state: S,
    done: (state: S, err: unknown, session: RequestSession | null) => void,
  ): void {
    let opened: RequestSession | Promise<RequestSession>;
    try {
      opened = this.open(req, sink);
    } catch (err) {
      done(state, err, null);
      return;
    }
    if (opened instanceof Promise) {
      opened.then(
        (rs) => this.#started(req, rs, state, done),
        (err: unknown) => done(state, err, null),
      );
    } else this.#started(req, opened, state, done);
  }

  #started<S>(
    req: RequestInfo,
    rs: RequestSession,
    state: S,
    done: (state: S, err: unknown, session: RequestSession | null) => void,
  ): void {
    try {
      this.checkCsrf(rs, req);
    } catch (err) {
      done(state, err, rs);
      return;
    }
    done(state, null, rs);
  }

  /**
   * The CSRF check before the body is read (the adapter's part when `csrf.check` is `'auto'`, the
   * default). Safe methods pass. An unsafe request that carries Sec-Fetch-Site, Origin or the token
   * header is judged now — a cross-site one is refused with CSRF_REJECTED whatever its body — and
   * one that carries none of them is marked {@link RequestSession.csrfPending}: its verdict needs the
   * `_csrf` form field, which {@link checkCsrfBody} reads once the body is parsed.
   */
  checkCsrf(rs: RequestSession, req: RequestInfo): void {
    if (!this.#csrfAuto || isSafeMethod(req.method)) return;
    if (
      req.header('sec-fetch-site') !== undefined ||
      req.header('origin') !== undefined ||
      req.header(this.#tokenHeader) !== undefined
    ) {
      rs.verifyCsrf();
      return;
    }
    RequestSession.markCsrfPending(rs);
  }

  /**
   * The CSRF check after the body is parsed: when the session is {@link RequestSession.csrfPending},
   * verifies the synchronizer token in the `_csrf` field (`csrf.fieldName`) of `body` (a parsed
   * form as a plain object; anything else counts as no token). A no-op otherwise.
   */
  checkCsrfBody(rs: RequestSession, body: unknown): void {
    if (!rs.csrfPending) return;
    const v =
      body !== null && typeof body === 'object'
        ? (body as Record<string, unknown>)[this.csrfField]
        : undefined;
    rs.verifyCsrf(typeof v === 'string' ? v : undefined);
  }

  /**
   * True for the errors adapters render themselves: Tessera errors and the 4xx errors frameworks and
   * body parsers throw for unreadable requests. Adapters hand everything else to the framework's own
   * error path where it has one.
   */
  handles(err: unknown): boolean {
    return isKnownError(err);
  }

  /**
   * The adapter contract's error rendering: {@link renderError}, the `onError` hook, and one log
   * line (through `logger`) for an unreadable body (its status only) or an error that is not
   * Tessera's. Adapters write the result as is (a 303/307 has an empty body).
   */
  errorResponse(err: unknown, accept: string | undefined): ErrorResponse {
    const out = this.renderError(err, accept);
    if (out.problem.code === 'BAD_REQUEST') {
      // Only the status: a parser's message can quote the body (a password, say).
      this.#warn(`tessera: a request body could not be read (${out.status}).`);
    } else if (!this.handles(err)) {
      this.#warn(`tessera: unexpected error: ${err instanceof Error ? err.message : String(err)}`);
    }
    return this.options.onError?.(err, out) ?? out;
  }

  /**
   * Renders an error: RFC 9457 problem JSON with the stable code and status, or — for a browser
   * asking for HTML that needs to log in — a 303 redirect to `loginUrl` (with `session=expired`
   * in the query when the session had expired).
   */
  renderError(err: unknown, accept: string | undefined): ErrorResponse {
    const problem = toProblem(err);
    const wantsHtml = !!accept && accept.includes('text/html');
    const loginUrl = this.options.loginUrl;
    if (
      wantsHtml &&
      loginUrl &&
      (problem.code === 'UNAUTHENTICATED' ||
        problem.code === 'SESSION_EXPIRED' ||
        problem.code === 'SESSION_REVOKED')
    ) {
      const location =
        problem.code === 'SESSION_EXPIRED'
          ? `${loginUrl}${loginUrl.includes('?') ? '&' : '?'}session=expired`
          : loginUrl;
      return {
        status: 303,
        headers: { location, 'cache-control': 'no-store' },
        body: '',
        problem,
      };
    }
    const headers: Record<string, string> = {
      'content-type': PROBLEM_CONTENT_TYPE,
      'cache-control': 'no-store',
    };
    if (err instanceof RateLimitedError)
      headers['retry-after'] = String(Math.max(1, Math.ceil(err.retryAfterMs / 1000)));
    if (err instanceof DeviceProofRequiredError) {
      // Back to the same URL: the bound cookie was expired on this response, so a DBSC browser
      // refreshes it (signing a challenge) before following, and retries with a fresh proof.
      headers.location = err.location;
      return { status: 307, headers, body: '', problem };
    }
    return { status: problem.status, headers, body: JSON.stringify(problem), problem };
  }

  /** True once the plain-HTTP warning was given, or can never apply (publicOrigin set, insecure cookie). */
  #plainHttpSettled = false;
  /** The last Host checked, so a steady stream of requests for one host is checked once. */
  #plainHttpHost: string | undefined;

  /**
   * Without `publicOrigin` the start-up check cannot know where the app is served. The first request
   * that arrives over plain HTTP for a host other than localhost (and not from a trusted TLS proxy)
   * gets one loud warning: browsers will drop the Secure cookie there, so no session would stick.
   */
  #checkPlainHttp(req: RequestInfo): void {
    if (this.options.publicOrigin || !this.cookie.secure) {
      this.#plainHttpSettled = true;
      return;
    }
    const host = (this.options.trustProxy ? req.header('x-forwarded-host') : undefined) ?? req.header('host');
    if (!host || host === this.#plainHttpHost) return;
    const viaTls =
      this.options.trustProxy && req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
    if (viaTls) return;
    this.#plainHttpHost = host;
    const hostname = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
    if (isLocalHost(hostname)) return;
    // The Host header is the client's text: only host-name characters reach the log, and not many.
    const shown = hostname.replace(/[^A-Za-z0-9.\-:[\]]/g, '?').slice(0, 100);
    this.#plainHttpSettled = true;
    this.#warn(
      `tessera: a request for ${shown} arrived over plain HTTP, but the session cookie is Secure: browsers will ` +
        'not store it, so sessions will not stick. Serve the app over HTTPS (behind a proxy: set trustProxy), or ' +
        'set publicOrigin; `cookie: { insecure: true }` is for closed test networks only.',
    );
  }

  #selfOrigin(req: RequestInfo): string | null {
    if (this.#publicOrigin) return this.#publicOrigin;
    const fwdProto = this.options.trustProxy
      ? req.header('x-forwarded-proto')?.split(',')[0]?.trim()
      : undefined;
    const fwdHost = this.options.trustProxy
      ? req.header('x-forwarded-host')?.split(',')[0]?.trim()
      : undefined;
    const host = fwdHost ?? req.header('host');
    if (!host) return null;
    return `${fwdProto ?? (req.encrypted ? 'https' : 'http')}://${host}`;
  }
}

/** The handler's CSRF guard (one per handler): makes the guard's view of a request when a check needs it. */
class CsrfGuard implements CsrfPolicy {
  readonly options: CsrfOptions;
  readonly #originOf: (req: RequestInfo) => string | null;
  readonly #tokenHeader: string;
  constructor(options: CsrfOptions, originOf: (req: RequestInfo) => string | null, tokenHeader: string) {
    this.options = options;
    this.#originOf = originOf;
    this.#tokenHeader = tokenHeader;
  }
  view(req: RequestInfo): CsrfRequest {
    return new CsrfView(req, this.#originOf, this.#tokenHeader);
  }
}

/**
 * The CSRF guard's view of a request. A class, not a literal of closures (this runs on every
 * request); the request's own origin and the token header are only read when a check needs them.
 */
class CsrfView implements CsrfRequest {
  readonly #req: RequestInfo;
  readonly #originOf: (req: RequestInfo) => string | null;
  readonly #tokenHeader: string;
  #origin: string | null | undefined;
  constructor(req: RequestInfo, originOf: (req: RequestInfo) => string | null, tokenHeader: string) {
    this.#req = req;
    this.#originOf = originOf;
    this.#tokenHeader = tokenHeader;
  }
  get method(): string {
    return this.#req.method;
  }
  header(name: string): string | undefined {
    return this.#req.header(name);
  }
  get selfOrigin(): string | null {
    if (this.#origin === undefined) this.#origin = this.#originOf(this.#req);
    return this.#origin;
  }
  get token(): string | undefined {
    return this.#req.header(this.#tokenHeader);
  }
}

/** The engine's view of a request: address, User-Agent, and when it arrived if the adapter noted it. */
function requestContext(req: RequestInfo): RequestContext {
  const userAgent = req.header('user-agent') ?? null;
  return req.receivedAt === undefined
    ? { ip: req.ip, userAgent }
    : { ip: req.ip, userAgent, receivedAt: req.receivedAt };
}

/** A {@link ResponseSink} that collects what it is given (for Tessera's own endpoints). */
class CollectingSink implements ResponseSink {
  readonly cookies = new Map<string, string>();
  readonly headers: Record<string, string> = {};
  setCookie(name: string, serialized: string): void {
    this.cookies.set(name, serialized);
  }
  setHeader(name: string, value: string): void {
    this.headers[name.toLowerCase()] = value;
  }
}

/** Creates the framework-neutral HTTP layer over a session manager. */
export function createSessionHandler(
  manager: SessionManager,
  options?: SessionHandlerOptions,
): SessionHandler {
  return new SessionHandler(manager, options);
}
