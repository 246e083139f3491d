import type { Duration } from '../duration.ts';
import { parseDuration } from '../duration.ts';
import type { RequestContext } from '../engine/binding.ts';
import { emitEvent } from '../engine/internal.ts';
import { type NoSession, noSessionError } from '../engine/no-session.ts';
import type { Session } from '../engine/session.ts';
import type { LoginOptions, SessionManager } from '../engine/session-manager.ts';
import {
  CsrfError,
  DeviceBindingRequiredError,
  DeviceProofRequiredError,
  LogoutUnconfirmedError,
  StoreUnavailableError,
} from '../errors.ts';
import { clearedCookie, sessionCookie } from './cookie-header.ts';
import type { ResolvedCookie } from './cookie-options.ts';
import type { CsrfOptions, CsrfRequest } from './csrf.ts';
import { checkCsrfHeaders } from './csrf.ts';
import type { DeviceBoundSessions } from './dbsc/device-bound-sessions.ts';
import type { RequestInfo } from './session-handler.ts';

/** @internal The handler's CSRF guard: its options, and its view of a request, made on demand. */
export interface CsrfPolicy {
  readonly options: CsrfOptions;
  view(req: RequestInfo): CsrfRequest;
}

/** @internal What the HTTP layer learned about the request's device binding (DBSC on). */
export interface DeviceState {
  readonly dbsc: DeviceBoundSessions;
  /** When the bound cookie this request carried was issued (the last proof of the key), or null. */
  readonly proofAt: number | null;
  /** The session is bound and the request is not treated as stolen. */
  readonly bound: boolean;
  /** The request's path and query (for the redirect that asks for a fresh proof). */
  readonly url: string | undefined;
}

/** Where the HTTP layer writes response headers; each adapter implements it for its framework. */
export interface ResponseSink {
  /** Sets the Set-Cookie for `name`, replacing one set earlier in the same response. */
  setCookie(name: string, serialized: string): void;
  /** Sets (replaces) a response header. */
  setHeader(name: string, value: string): void;
}

/**
 * The session of one HTTP request: what adapters expose as `req.session`, `c.get('session')`, …
 * Every change (login, rotation, logout) writes the right cookie and headers to the response.
 */
export class RequestSession {
  #session: Session | null;
  readonly #manager: SessionManager;
  readonly #cookie: ResolvedCookie;
  readonly #sink: ResponseSink;
  readonly #ctx: RequestContext;
  readonly #req: RequestInfo;
  readonly #csrfPolicy: CsrfPolicy | null;
  /** The guard's view of the request, made on the first check (most requests never need one). */
  #csrf: CsrfRequest | null = null;
  /** The adapter's CSRF check is waiting for the form field of the parsed body. */
  #csrfPending = false;
  /** The request's cookie named a session that expired (requireAuth then says so, if a user was logged in). */
  #expired: NoSession | null = null;
  #device: DeviceState | null;
  readonly #clearSiteData: string | null;

  /**
   * @internal Made by `SessionHandler.begin` for each request (positional arguments: this runs on
   * every request); applications get theirs from an adapter.
   */
  constructor(
    manager: SessionManager,
    session: Session | null,
    cookie: ResolvedCookie,
    sink: ResponseSink,
    ctx: RequestContext,
    req: RequestInfo,
    csrf: CsrfPolicy | null,
    device: DeviceState | null = null,
    clearSiteData: string | null = '"cookies"',
  ) {
    this.#device = device;
    this.#clearSiteData = clearSiteData;
    this.#manager = manager;
    this.#session = session;
    this.#cookie = cookie;
    this.#sink = sink;
    this.#ctx = ctx;
    this.#req = req;
    this.#csrfPolicy = csrf;
    if (session?.authenticated) this.#noStore();
  }

  /** The current session, or null when the request has none (yet). */
  get current(): Session | null {
    return this.#session;
  }
  /** The public session id (hash), or null. */
  get id(): string | null {
    return this.#session?.id ?? null;
  }
  /** The logged-in user, or null. */
  get userId(): string | null {
    return this.#session?.userId ?? null;
  }
  /** True when a user is logged in. */
  get authenticated(): boolean {
    return this.#session?.authenticated === true;
  }
  /**
   * True when the session is bound to this device (Device Bound Session Credentials): the browser
   * registered a key and this request carried the short-lived cookie only that key can refresh.
   */
  get deviceBound(): boolean {
    return this.#device?.bound === true && this.#session !== null;
  }

  /** The engine behind this request. */
  get manager(): SessionManager {
    return this.#manager;
  }

  /** The session data, or undefined. */
  get<T = Record<string, unknown>>(): T | undefined {
    return this.#session ? this.#manager.readData<T>(this.#session) : undefined;
  }

  /**
   * Changes the session data with compare-and-set (see `SessionManager.updateData`). Starts an
   * anonymous session first if the request has none: sessions are created lazily, only when
   * something is stored.
   */
  async update<T>(change: (current: T | undefined) => T | undefined): Promise<void> {
    const session = await this.ensure();
    this.#session = await this.#manager.updateData<T>(session, change, this.#ctx);
  }

  /** Replaces the session data (creating an anonymous session if needed). */
  async set(data: unknown): Promise<void> {
    await this.update(() => data);
  }

  /** The session, starting an anonymous one if the request has none. */
  async ensure(): Promise<Session> {
    if (this.#session) return this.#session;
    const issued = await this.#manager.create(this.#ctx);
    this.#issue(issued.session, issued.token);
    return issued.session;
  }

  /**
   * Counts a login attempt for `account` from this client; call it before checking the password.
   * Throws RATE_LIMITED (429 with `Retry-After`) when the address or the account is over its limit.
   */
  async loginAttempt(account: string): Promise<void> {
    await this.#manager.loginAttempt(account, this.#ctx);
  }

  /** Logs a user in: new token, old one dead, data carried over unless told otherwise. */
  async login(userId: string, options: LoginOptions = {}): Promise<Session> {
    const issued = await this.#manager.login(this.#session, userId, options, this.#ctx);
    this.#issue(issued.session, issued.token);
    if (this.#device) {
      // A new session starts unbound; the browser is invited to bind it.
      this.#device = { ...this.#device, bound: false, proofAt: null };
      this.#device.dbsc.offer(this.#sink, issued.session);
    }
    return issued.session;
  }

  /** Rotates the token after a privilege change, optionally setting a new auth level. */
  async rotate(options: { authLevel?: number } = {}): Promise<Session> {
    const issued = await this.#manager.rotate(this.#require(), options, this.#ctx);
    this.#issue(issued.session, issued.token);
    return issued.session;
  }

  /** Records a fresh authentication (password re-entered, MFA) and rotates. */
  async reauthenticate(options: { authLevel?: number } = {}): Promise<Session> {
    const issued = await this.#manager.reauthenticate(this.#require(), options, this.#ctx);
    this.#issue(issued.session, issued.token);
    this.#device?.dbsc.offer(this.#sink, issued.session);
    return issued.session;
  }

  /**
   * Throws REAUTH_REQUIRED unless the user authenticated within `maxAge` — `'5m'` or milliseconds
   * (default: the manager's `stepUpMaxAge`).
   */
  requireFresh(maxAge?: Duration): void {
    const session = this.#require();
    this.#manager.requireFresh(session, toMs(maxAge, 'requireFresh(maxAge)'));
    if (this.#device?.dbsc.requiresBinding(session)) this.requireDeviceBound();
  }

  /** Throws UNAUTHENTICATED unless a user is logged in (and, under DBSC `required-for`, a bound session at high auth levels). */
  requireAuth(): Session {
    const session = this.#require();
    if (this.#device?.dbsc.requiresBinding(session)) this.requireDeviceBound();
    return session;
  }

  /**
   * For sensitive routes (checkout): the session must be device-bound, with a proof of the key no
   * older than `maxAge` (`'1m'` or milliseconds; default: the `proofMaxAge` option). Throws DEVICE_BINDING_REQUIRED (403)
   * for an unbound session; for an older proof, expires the bound cookie and throws
   * DEVICE_PROOF_REQUIRED, which renders as a 307 back to this URL — a DBSC browser refreshes (signs
   * a fresh challenge) and retries by itself, while a copied cookie jar without the key is refused.
   */
  requireDeviceBound(maxAge?: Duration): Session {
    const session = this.#require();
    const d = this.#device;
    if (!d?.bound) throw new DeviceBindingRequiredError();
    const limit = toMs(maxAge, 'requireDeviceBound(maxAge)') ?? d.dbsc.options.proofMaxAgeMs;
    if (d.proofAt !== null && this.#manager.now() - d.proofAt <= limit) return session;
    this.#sink.setCookie(d.dbsc.cookieName, d.dbsc.expiredCookie());
    throw new DeviceProofRequiredError(d.url ?? '/');
  }

  /**
   * Ends the session server-side, clears the cookie and asks the browser to drop cookies
   * (`Clear-Site-Data`). `clearSiteData: false` omits that header, for when the same response
   * goes on to start a new session (express-session's `regenerate`). The cookie is cleared even
   * when the store fails; the call then throws {@link LogoutUnconfirmedError} (503) so that the
   * response says the server-side end could not be confirmed.
   */
  async logout(options: { clearSiteData?: boolean } = {}): Promise<void> {
    const s = this.#session;
    this.#session = null;
    // The browser's cookie goes first, whatever the store says.
    this.#sink.setCookie(this.#cookie.name, clearedCookie(this.#cookie));
    if (this.#device) this.#sink.setCookie(this.#device.dbsc.cookieName, this.#device.dbsc.expiredCookie());
    if (options.clearSiteData !== false && this.#clearSiteData !== null)
      this.#sink.setHeader('Clear-Site-Data', this.#clearSiteData);
    this.#noStore();
    if (!s) return;
    try {
      await this.#manager.logout(s, this.#ctx);
    } catch (err) {
      if (err instanceof StoreUnavailableError) throw new LogoutUnconfirmedError({ cause: err });
      throw err;
    }
  }

  /** A CSRF token for forms (`_csrf` field) or the `x-csrf-token` header; starts a session if needed. */
  async csrfToken(): Promise<string> {
    return this.#manager.csrfToken(await this.ensure());
  }

  /**
   * Enforces the CSRF policy for this request: unsafe methods are refused when cross-site by
   * Fetch Metadata or Origin; without either header a valid synchronizer token is required.
   * `formToken` is the `_csrf` field of a parsed form body, if the adapter has one.
   */
  verifyCsrf(formToken?: unknown): void {
    const policy = this.#csrfPolicy;
    if (!policy) return;
    this.#csrf ??= policy.view(this.#req);
    const verdict = checkCsrfHeaders(this.#csrf, policy.options);
    if (verdict.ok && !verdict.needsToken) {
      this.#csrfPending = false;
      return;
    }
    let reason = verdict.ok ? '' : verdict.reason;
    if (verdict.ok) {
      const token = this.#csrf.token ?? formToken;
      if (this.#session && this.#manager.verifyCsrfToken(this.#session, token)) {
        this.#csrfPending = false;
        return;
      }
      reason = token === undefined ? 'no Origin, no Sec-Fetch-Site and no CSRF token' : 'invalid CSRF token';
    }
    emitEvent(this.#manager, {
      type: 'session.csrf_rejected',
      at: this.#manager.now(),
      sessionId: this.#session?.id ?? null,
      userId: this.#session?.userId ?? null,
      ip: this.#ctx.ip ?? null,
      userAgent: this.#ctx.userAgent ?? null,
      reason,
    });
    throw new CsrfError(reason);
  }

  /**
   * True while the adapter's CSRF check of this unsafe request waits for the form field: the
   * request carried no Origin, Sec-Fetch-Site or token header, and its body was not read yet.
   */
  get csrfPending(): boolean {
    return this.#csrfPending;
  }

  #require(): Session {
    // SESSION_EXPIRED only when this request's logged-in session has just expired; else UNAUTHENTICATED.
    if (!this.#session?.authenticated) throw noSessionError(this.#session === null ? this.#expired : null);
    return this.#session;
  }

  #issue(session: Session, token: string): void {
    this.#session = session;
    this.#expired = null; // a session issued on this request is not the one that expired
    const maxAge = session.rememberMe ? (session.absoluteExpiresAt - this.#manager.now()) / 1000 : undefined;
    this.#sink.setCookie(this.#cookie.name, sessionCookie(this.#cookie, token, maxAge));
    // Every response that sets or clears a session cookie is private: a shared cache must never
    // hand one visitor's token (or a page with its CSRF token) to another.
    this.#noStore();
  }

  #noStore(): void {
    this.#sink.setHeader('Cache-Control', 'no-store');
  }

  /** @internal Used by the handler: the CSRF verdict needs the form field of the body (see {@link csrfPending}). */
  static markCsrfPending(rs: RequestSession): void {
    rs.#csrfPending = true;
  }

  /** @internal Used by the handler: the request's cookie named a session that has expired. */
  static markExpired(rs: RequestSession, result: NoSession): void {
    rs.#expired = result;
  }

  /** @internal Used by the handler: this request is served without its session (nothing is ended). */
  static detach(rs: RequestSession): void {
    rs.#session = null;
  }

  /** @internal Used by the handler when validation renewed the token or the cookie must go. */
  static renewCookie(rs: RequestSession, token: string | null): void {
    if (token === null) {
      rs.#sink.setCookie(rs.#cookie.name, clearedCookie(rs.#cookie));
      rs.#noStore();
    } else if (rs.#session) rs.#issue(rs.#session, token);
  }
}

function toMs(maxAge: Duration | undefined, field: string): number | undefined {
  return maxAge === undefined || typeof maxAge === 'number' ? maxAge : parseDuration(maxAge, field);
}
