import type { Duration } from '../../duration.ts';
import type { Session } from '../../engine/session.ts';
import type { LoginOptions } from '../../engine/session-manager.ts';
import type { RequestSession } from '../../http/request-session.ts';

/**
 * Session data your app keeps as plain properties of `req.session`. Declare your keys by merging
 * into this interface (as with express-session's `SessionData`):
 *
 * @example
 * declare module '@tessera-sessions/core/express' {
 *   interface SessionData { views: number; cart: string[] }
 * }
 */
// biome-ignore lint/suspicious/noEmptyInterface: declaration-merging point for applications
export interface SessionData {}

/** The express-session style `req.session.cookie`: a read-mostly view of the session cookie. */
export interface SessionCookie {
  /** Milliseconds until a remember-me cookie expires, or null for a browser-session cookie. */
  readonly originalMaxAge: number | null;
  /**
   * Milliseconds left, or undefined for a browser-session cookie. Setting a positive value before
   * the login is saved asks for a remember-me session (`rememberMe: true`); Tessera then sets the
   * cookie's lifetime from its remember-me policy, not from this number.
   */
  maxAge?: number | undefined;
  readonly expires: Date | null;
  readonly httpOnly: true;
  readonly secure: boolean;
  readonly path: '/';
  readonly domain: undefined;
  readonly sameSite: 'lax' | 'strict';
}

/** Callback of the express-session style methods. */
export type SessionCallback = (err?: unknown) => void;

/**
 * `req.session` under Tessera: the Tessera API plus an express-session compatible surface. Data
 * lives in the object's own enumerable properties (`req.session.views = 1`) and is saved at the
 * end of the request with compare-and-set. The method and accessor names below are reserved:
 * assigning to one throws a TypeError.
 */
export interface TesseraApi {
  // --- Tessera
  /** The logged-in user, or null. */
  readonly userId: string | null;
  /** True when a user is logged in. */
  readonly authenticated: boolean;
  /** The validated session (a snapshot), or null when the request has none. */
  readonly current: Session | null;
  /** The framework-neutral session of this request. */
  readonly tessera: RequestSession;
  /** True when the session is bound to this device (DBSC) and this request proved it. */
  readonly deviceBound: boolean;
  /** Counts a login attempt for `account` (call before checking the password); RATE_LIMITED when over. */
  loginAttempt(account: string): Promise<void>;
  /** Logs a user in: new token, old one dead. Unsaved property changes are saved with it. */
  login(userId: string, options?: LoginOptions): Promise<Session>;
  /** Ends the session server-side, clears the cookie, sends `Clear-Site-Data`. */
  logout(): Promise<void>;
  /** Rotates the token after a privilege change. */
  rotate(options?: { authLevel?: number }): Promise<Session>;
  /** Records a fresh authentication (password re-entered, MFA) and rotates. */
  reauthenticate(options?: { authLevel?: number }): Promise<Session>;
  /** Throws REAUTH_REQUIRED unless the user authenticated within `maxAge` (default: policy). */
  requireFresh(maxAge?: Duration): void;
  /** Throws UNAUTHENTICATED unless a user is logged in; returns the session. */
  requireAuth(): Session;
  /** Throws unless the session is device-bound with a recent key proof (see `RequestSession.requireDeviceBound`). */
  requireDeviceBound(maxAge?: Duration): Session;
  /** A CSRF token for the `_csrf` form field or `x-csrf-token` header (starts a session if needed). */
  csrfToken(): Promise<string>;
  /** Enforces the CSRF policy; `formToken` defaults to the parsed body's CSRF field. */
  verifyCsrf(formToken?: unknown): void;
  /** A copy of the session data, unsaved property changes included. */
  get<T = Record<string, unknown>>(): T | undefined;
  /** Changes the data with compare-and-set now (unsaved property changes are applied first). */
  update<T = Record<string, unknown>>(change: (current: T | undefined) => T | undefined): Promise<void>;
  /** Replaces the data now. */
  set(data: Record<string, unknown>): Promise<void>;

  // --- express-session compatible
  /** The public session id (a hash of the token; never the token), or '' when there is no session. */
  readonly id: string;
  readonly cookie: SessionCookie;
  /** Ends this session server-side and continues with a new, empty one (new token when saved). */
  regenerate(callback: SessionCallback): this;
  /** Ends the session server-side and clears the cookie (like `logout`). */
  destroy(callback: SessionCallback): this;
  /** Saves the data now (also happens automatically at the end of the request). */
  save(callback?: SessionCallback): this;
  /** Drops unsaved changes and re-reads the data from the store. */
  reload(callback: SessionCallback): this;
  /** No-op: Tessera extends the idle deadline itself (throttled) when it validates a request. */
  touch(): this;
  /** No-op kept for compatibility; lifetimes come from the session policy. */
  resetMaxAge(): this;
}

/** The type of `req.session`: the API plus your data as properties. */
export type ExpressSession = TesseraApi & Partial<SessionData> & { [key: string]: unknown };

const RESERVED = new Set<string>([
  'userId',
  'authenticated',
  'current',
  'tessera',
  'deviceBound',
  'requireDeviceBound',
  'login',
  'loginAttempt',
  'logout',
  'rotate',
  'reauthenticate',
  'requireFresh',
  'requireAuth',
  'csrfToken',
  'verifyCsrf',
  'get',
  'update',
  'set',
  'id',
  'cookie',
  'regenerate',
  'destroy',
  'save',
  'reload',
  'touch',
  'resetMaxAge',
]);

/** Names `req.session` reserves for its API. */
export const RESERVED_SESSION_KEYS: ReadonlySet<string> = RESERVED;

type Data = Record<string, unknown>;

/** How the controller learns the user id that express-session style data implies. */
export type UserIdFrom = (data: Readonly<Data>) => string | null | undefined;

/** Default `userIdFrom`: passport's `data.passport.user` (a string, a number, or an object's `id`). */
export const passportUserId: UserIdFrom = (data) => {
  const p = data.passport;
  if (p === null || typeof p !== 'object') return null;
  const user = (p as { user?: unknown }).user;
  if (typeof user === 'string') return user.length > 0 ? user : null;
  if (typeof user === 'number' && Number.isFinite(user)) return String(user);
  if (user !== null && typeof user === 'object') {
    const id = (user as { id?: unknown }).id;
    if (typeof id === 'string' && id.length > 0) return id;
    if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  }
  return null;
};

const json = (v: unknown): string => JSON.stringify(v) ?? 'undefined';

/** What the controller needs from the request it serves. @internal */
export interface SessionHost {
  /** The CSRF field of the parsed body, if any. */
  formToken(): unknown;
  /** `regenerate` made a new session object: put it where `req.session` is read. */
  replaceSession(session: ExpressSession): void;
  /** The data is read or written for the first time in this request: save it before the response ends. */
  onDataLoaded(): void;
}

/** Per-adapter settings of the controller. @internal */
export interface SessionConfig {
  userIdFrom: UserIdFrom;
  cookie: { secure: boolean; sameSite: 'lax' | 'strict' };
}

/** Why assigning an identity property would be wrong, and what to call instead. */
const ASSIGN_HINTS: Record<string, string> = {
  userId:
    ' Call `await req.session.login(userId)`: it issues a new token and ends the pre-login one (assigning would keep a token an attacker may have planted: session fixation).',
  authenticated:
    ' Call `await req.session.login(userId)` to log in, `await req.session.logout()` to log out.',
  id: ' Ids are issued by Tessera, never chosen by the app; `regenerate()` or `login()` give a new one.',
};

const assignError = (prop: string) =>
  new TypeError(
    `req.session.${prop} is part of the Tessera session API and cannot be assigned.${ASSIGN_HINTS[prop] ?? ''}`,
  );

/**
 * Proxy traps of `req.session`: API names go to the controller, everything else is data on the
 * target, loaded on first touch. A class, so a request costs one object rather than seven closures.
 */
class DataTraps implements ProxyHandler<Data> {
  readonly #ctl: SessionController;
  readonly #target: Data;
  constructor(ctl: SessionController, target: Data) {
    this.#ctl = ctl;
    this.#target = target;
  }
  #touch(): void {
    if (this.#ctl.isCurrent(this.#target)) this.#ctl.load();
  }
  get(t: Data, prop: string | symbol, receiver: unknown): unknown {
    if (typeof prop === 'string' && RESERVED.has(prop)) return this.#ctl.api(prop);
    this.#touch();
    return Reflect.get(t, prop, receiver);
  }
  set(t: Data, prop: string | symbol, value: unknown, receiver: unknown): boolean {
    if (typeof prop === 'string' && RESERVED.has(prop)) {
      if (prop === 'cookie') return true; // express-session apps sometimes assign a cookie object; ignore it
      throw assignError(prop);
    }
    this.#touch();
    return Reflect.set(t, prop, value, receiver);
  }
  has(t: Data, prop: string | symbol): boolean {
    if (typeof prop === 'string' && RESERVED.has(prop)) return true;
    this.#touch();
    return Reflect.has(t, prop);
  }
  deleteProperty(t: Data, prop: string | symbol): boolean {
    this.#touch();
    return Reflect.deleteProperty(t, prop);
  }
  ownKeys(t: Data): ArrayLike<string | symbol> {
    this.#touch();
    return Reflect.ownKeys(t);
  }
  getOwnPropertyDescriptor(t: Data, prop: string | symbol): PropertyDescriptor | undefined {
    this.#touch();
    return Reflect.getOwnPropertyDescriptor(t, prop);
  }
  defineProperty(t: Data, prop: string | symbol, desc: PropertyDescriptor): boolean {
    if (typeof prop === 'string' && RESERVED.has(prop)) throw assignError(prop);
    this.#touch();
    return Reflect.defineProperty(t, prop, desc);
  }
}

/**
 * One request's session state behind `req.session`. `req.session` is a Proxy whose target holds
 * the data (own enumerable properties, loaded lazily on first use: a request that never touches
 * data never decrypts it). `regenerate` swaps in a new generation (a new Proxy) as express-session
 * does, so code holding the previous object (passport's `keepSessionInfo`) still sees old data.
 * @internal
 */
export class SessionController {
  readonly rs: RequestSession;
  readonly #userIdFrom: UserIdFrom;
  readonly #host: SessionHost;
  readonly #cookieConfig: { secure: boolean; sameSite: 'lax' | 'strict' };
  /** Current generation's data (the Proxy target) and whether it is loaded. */
  #data: Data = {};
  #loaded = false;
  /** The data as last loaded/saved, to find what this request changed. */
  #original: Data = {};
  #originalJson = '{}';
  /** User id implied by the data when last loaded/saved (express-session/passport style login). */
  #baseline: string | null = null;
  #rememberMe = false;
  #methods: Map<string, unknown> | null = null;
  #cookie: SessionCookie | null = null;
  proxy: ExpressSession;

  constructor(rs: RequestSession, host: SessionHost, config: SessionConfig) {
    this.rs = rs;
    this.#host = host;
    this.#cookieConfig = config.cookie;
    this.#userIdFrom = config.userIdFrom;
    this.proxy = new Proxy(this.#data, new DataTraps(this, this.#data)) as ExpressSession;
  }

  /** @internal Entry points of the Proxy traps. */
  isCurrent(target: Data): boolean {
    return target === this.#data;
  }
  /** @internal */
  load(): void {
    this.#load();
  }
  /** @internal */
  api(name: string): unknown {
    return this.#api(name);
  }

  /** True when the request changed data that must still be saved. */
  get dirty(): boolean {
    return this.#loaded && json(this.#data) !== this.#originalJson;
  }

  #load(): void {
    if (this.#loaded) return;
    this.#markLoaded();
    const stored = this.rs.get<Data>();
    const data = stored !== null && typeof stored === 'object' && !Array.isArray(stored) ? stored : {};
    Object.assign(this.#data, data);
    this.#setOriginal(data);
  }

  #setOriginal(data: Data): void {
    this.#original = structuredClone(data);
    this.#originalJson = json(data);
    this.#baseline = this.#userIdFrom(data) ?? null;
  }

  #api(name: string): unknown {
    switch (name) {
      case 'userId':
        return this.rs.userId;
      case 'authenticated':
        return this.rs.authenticated;
      case 'current':
        return this.rs.current;
      case 'tessera':
        return this.rs;
      case 'deviceBound':
        return this.rs.deviceBound;
      case 'id':
        return this.rs.id ?? '';
      case 'cookie':
        this.#cookie ??= this.#makeCookie();
        return this.#cookie;
    }
    this.#methods ??= new Map();
    let fn = this.#methods.get(name);
    if (!fn) {
      fn = this.#method(name);
      this.#methods.set(name, fn);
    }
    return fn;
  }

  #method(name: string): unknown {
    const rs = this.rs;
    const proxy = () => this.proxy;
    const later = (cb: SessionCallback | undefined, work: Promise<unknown>) => {
      work.then(
        () => cb?.(),
        (err: unknown) => {
          if (cb) cb(err);
        },
      );
    };
    switch (name) {
      case 'login':
        return async (userId: string, options?: LoginOptions) => {
          this.#load();
          const s = await rs.login(userId, options);
          this.#baseline = this.#userIdFrom(this.#data) ?? null;
          if (this.dirty) await this.#saveData();
          return s;
        };
      case 'loginAttempt':
        return (account: string) => rs.loginAttempt(account);
      case 'logout':
        return async () => {
          await rs.logout();
          this.#reset();
        };
      case 'rotate':
        return (options?: { authLevel?: number }) => rs.rotate(options);
      case 'reauthenticate':
        return (options?: { authLevel?: number }) => rs.reauthenticate(options);
      case 'requireFresh':
        return (maxAge?: Duration) => rs.requireFresh(maxAge);
      case 'requireAuth':
        return () => rs.requireAuth();
      case 'requireDeviceBound':
        return (maxAge?: Duration) => rs.requireDeviceBound(maxAge);
      case 'csrfToken':
        return async () => {
          // A new session for the token must carry any data set so far in this request.
          if (!rs.current && this.dirty) await this.save();
          return rs.csrfToken();
        };
      case 'verifyCsrf':
        return (formToken?: unknown) =>
          rs.verifyCsrf(formToken === undefined ? this.#host.formToken() : formToken);
      case 'get':
        return <T>() => {
          this.#load();
          return (
            Object.keys(this.#data).length === 0 && !rs.current ? undefined : structuredClone(this.#data)
          ) as T | undefined;
        };
      case 'update':
        return async <T>(change: (current: T | undefined) => T | undefined) => {
          this.#load();
          await this.#saveData(change as (current: unknown) => unknown);
        };
      case 'set':
        return async (data: Data) => {
          this.#load();
          await this.#saveData(() => data);
        };
      case 'regenerate':
        return (cb: SessionCallback) => {
          later(cb, this.#regenerate());
          return proxy();
        };
      case 'destroy':
        return (cb: SessionCallback) => {
          later(
            cb,
            rs.logout().then(() => this.#reset()),
          );
          return proxy();
        };
      case 'save':
        return (cb?: SessionCallback) => {
          later(cb, this.save());
          return proxy();
        };
      case 'reload':
        return (cb: SessionCallback) => {
          later(cb, this.#reload());
          return proxy();
        };
      case 'touch':
      case 'resetMaxAge':
        return () => proxy();
    }
    return undefined;
  }

  #makeCookie(): SessionCookie {
    const rs = this.rs;
    const handlerCookie = this.#cookieConfig;
    const remaining = (): number | undefined => {
      const s = rs.current;
      return s?.rememberMe ? Math.max(0, s.absoluteExpiresAt - rs.manager.now()) : undefined;
    };
    const self = this;
    return {
      get originalMaxAge() {
        return remaining() ?? null;
      },
      get maxAge() {
        return remaining();
      },
      set maxAge(v: number | undefined) {
        self.#rememberMe = typeof v === 'number' && v > 0;
      },
      get expires() {
        const r = remaining();
        return r === undefined ? null : new Date(rs.manager.now() + r);
      },
      httpOnly: true,
      secure: handlerCookie.secure,
      path: '/',
      domain: undefined,
      sameSite: handlerCookie.sameSite,
    };
  }

  #reset(): void {
    for (const k of Object.keys(this.#data)) delete this.#data[k];
    this.#markLoaded();
    this.#setOriginal({});
  }

  #markLoaded(): void {
    if (!this.#loaded) this.#host.onDataLoaded();
    this.#loaded = true;
  }

  async #regenerate(): Promise<void> {
    this.#load(); // the old generation keeps its data for code that still holds it
    if (this.rs.current) await this.rs.logout({ clearSiteData: false });
    // A new generation: code that kept the old object (passport's keepSessionInfo) still reads old data.
    this.#data = {};
    this.#markLoaded();
    this.#setOriginal({});
    this.#methods = null;
    this.proxy = new Proxy(this.#data, new DataTraps(this, this.#data)) as ExpressSession;
    this.#host.replaceSession(this.proxy);
  }

  async #reload(): Promise<void> {
    for (const k of Object.keys(this.#data)) delete this.#data[k];
    this.#loaded = false;
    const s = this.rs.current;
    // A compare-and-set with no change re-reads the freshest data if another request wrote since.
    if (s) await this.rs.update<unknown>((current) => current);
    this.#load();
  }

  /**
   * Saves what the request changed. When the user id implied by the data changed (passport set or
   * cleared `passport.user`), logs in (new token) or ends the authenticated session instead of
   * merely writing the data.
   */
  async save(): Promise<void> {
    if (!this.#loaded) return;
    const implied = this.#userIdFrom(this.#data) ?? null;
    if (implied !== this.#baseline) {
      if (implied !== null) {
        await this.rs.login(implied, { rememberMe: this.#rememberMe, carryData: false });
        this.#baseline = implied;
        const data = structuredClone(this.#data);
        if (Object.keys(data).length > 0) await this.rs.set(data);
        this.#setOriginal(data);
        return;
      }
      if (this.rs.authenticated) {
        // The user was removed from the data (passport's logout): end the session server-side.
        const keep = structuredClone(this.#data);
        await this.rs.logout();
        this.#baseline = null;
        const rest = Object.fromEntries(Object.entries(keep).filter(([, v]) => !isEmptyObject(v)));
        this.#setOriginal({});
        if (Object.keys(rest).length > 0) {
          await this.rs.set(rest);
          this.#setOriginal(rest);
        }
        return;
      }
      this.#baseline = implied;
    }
    if (this.dirty) await this.#saveData();
  }

  /**
   * Writes the request's changes with compare-and-set, merged key by key onto what the store holds
   * now, so concurrent requests changing different keys keep each other's writes.
   */
  async #saveData(extra?: (current: unknown) => unknown): Promise<void> {
    const mine = this.#data;
    const original = this.#original;
    const changed = new Set<string>();
    for (const k of new Set([...Object.keys(mine), ...Object.keys(original)])) {
      if (json(mine[k]) !== json(original[k])) changed.add(k);
    }
    let result: unknown;
    await this.rs.update<unknown>((current) => {
      const base: Data =
        current !== null && typeof current === 'object' && !Array.isArray(current)
          ? { ...(current as Data) }
          : {};
      for (const k of changed) {
        if (Object.hasOwn(mine, k)) base[k] = structuredClone(mine[k]);
        else delete base[k];
      }
      result = extra ? extra(base) : base;
      return result;
    });
    const now: Data =
      result !== null && typeof result === 'object' && !Array.isArray(result) ? (result as Data) : {};
    for (const k of Object.keys(mine)) delete mine[k];
    Object.assign(mine, structuredClone(now));
    this.#setOriginal(now);
  }
}

function isEmptyObject(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;
}
