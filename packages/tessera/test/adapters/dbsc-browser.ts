/**
 * A protocol-level Device Bound Session Credentials client, written from the W3C WebAppSec DBSC
 * draft and what Chromium's net/device_bound_sessions sends: a cookie jar that honours Max-Age
 * (against the test's frozen clock), a real key pair from node:crypto, the `dbsc+jwt` proofs
 * (`alg`, `typ`, `jwk` in the header at registration; `jti` = challenge in the payload), the
 * registration and refresh requests with their exact headers, the 403-challenge retry and the
 * cached challenge from `Secure-Session-Challenge`, and the deferral of requests while the bound
 * cookie is missing.
 */
import { createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { type FrozenClock, parseSetCookie } from './helpers.ts';

export type Alg = 'ES256' | 'RS256';

/** A key pair as the browser would keep it (in a TPM; here in memory). */
export interface DeviceKey {
  alg: Alg;
  privateKey: KeyObject;
  /** Public JWK (kty, crv, x, y or kty, n, e). */
  jwk: Record<string, string>;
}

export function deviceKey(alg: Alg = 'ES256'): DeviceKey {
  const { privateKey, publicKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, string>;
  return { alg, privateKey, jwk };
}

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** A compact JWS over header and payload, signed as the browser signs a DBSC proof. */
export function signJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: DeviceKey,
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const sig =
    key.alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
      : sign('sha256', Buffer.from(input), key.privateKey);
  return `${input}.${sig.toString('base64url')}`;
}

/** The registration proof: new key in the header, challenge as `jti`. */
export function registrationProof(
  key: DeviceKey,
  challenge: string,
  extra: Record<string, unknown> = {},
): string {
  return signJwt({ alg: key.alg, typ: 'dbsc+jwt', jwk: key.jwk }, { jti: challenge, ...extra }, key);
}

/** The refresh proof: no key in the header. */
export function refreshProof(key: DeviceKey, challenge: string): string {
  return signJwt({ alg: key.alg, typ: 'dbsc+jwt' }, { jti: challenge }, key);
}

/** An HMAC-signed token (the "use the public key as an HMAC secret" confusion attack). */
export function hmacProof(key: DeviceKey, challenge: string, withJwk: boolean): string {
  const header = { alg: 'HS256', typ: 'dbsc+jwt', ...(withJwk ? { jwk: key.jwk } : {}) };
  const input = `${b64(header)}.${b64({ jti: challenge })}`;
  const mac = createHmac('sha256', Buffer.from(key.jwk.x ?? key.jwk.n ?? '', 'base64url'))
    .update(input)
    .digest();
  return `${input}.${mac.toString('base64url')}`;
}

/** An unsecured token (`alg: none`) with an empty or a junk signature part. */
export function noneProof(key: DeviceKey, challenge: string, signature = ''): string {
  return `${b64({ alg: 'none', typ: 'dbsc+jwt', jwk: key.jwk })}.${b64({ jti: challenge })}.${signature}`;
}

/** Parses `Secure-Session-Registration: (ES256 RS256);path="…";challenge="…"` (first item). */
export function parseRegistration(
  value: string | null,
): { algorithms: string[]; path: string; challenge: string | null } | null {
  if (!value) return null;
  const m = /^\(([A-Z0-9 ]*)\)((?:;[a-z_]+="(?:[^"\\]|\\.)*")*)/.exec(value.trim());
  if (!m) return null;
  const params = new Map<string, string>();
  for (const p of m[2]!.matchAll(/;([a-z_]+)="((?:[^"\\]|\\.)*)"/g))
    params.set(p[1]!, p[2]!.replace(/\\(.)/g, '$1'));
  const path = params.get('path');
  if (!path) return null;
  return { algorithms: m[1]!.split(' ').filter(Boolean), path, challenge: params.get('challenge') ?? null };
}

/** Parses `Secure-Session-Challenge: "c";id="s"` items into (session id → challenge). */
export function parseChallenges(value: string | null): Map<string, string> {
  const out = new Map<string, string>();
  if (!value) return out;
  for (const m of value.matchAll(/"((?:[^"\\]|\\.)*)";id="((?:[^"\\]|\\.)*)"/g)) out.set(m[2]!, m[1]!);
  return out;
}

interface JarCookie {
  value: string;
  expiresAt: number | null;
}

/** What the browser keeps of a registered DBSC session. */
export interface DbscSession {
  id: string;
  refreshUrl: string;
  cookieName: string;
  key: DeviceKey;
  cachedChallenge: string | null;
}

export interface BrowserRequest {
  method?: string;
  form?: Record<string, string>;
  headers?: Record<string, string>;
}

/**
 * A browser for one device. `supportsDbsc: false` is a browser that ignores the registration
 * header (every browser but Chrome today). Never follows redirects unless asked.
 */
export class DbscBrowser {
  readonly jar = new Map<string, JarCookie>();
  session: DbscSession | null = null;
  /** Every proof this browser sent (for replay attacks). */
  readonly sentProofs: string[] = [];
  refreshes = 0;

  constructor(
    readonly base: string,
    readonly clock: FrozenClock,
    readonly options: { supportsDbsc?: boolean; alg?: Alg } = {},
  ) {}

  get origin(): string {
    return new URL(this.base).origin;
  }

  cookie(name: string): string | undefined {
    const c = this.jar.get(name);
    if (!c) return undefined;
    if (c.expiresAt !== null && c.expiresAt <= this.clock.now()) {
      this.jar.delete(name);
      return undefined;
    }
    return c.value;
  }

  cookieHeader(): string {
    const parts: string[] = [];
    for (const name of [...this.jar.keys()]) {
      const v = this.cookie(name);
      if (v !== undefined) parts.push(`${name}=${v}`);
    }
    return parts.join('; ');
  }

  /** Applies the Set-Cookie lines of a response (Max-Age against the frozen clock). */
  applyCookies(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const c = parseSetCookie(line);
      const maxAge = c.attrs.get('max-age');
      const expires = c.attrs.get('expires');
      if (c.value === '' || maxAge === '0' || (expires && Date.parse(expires) < Date.parse('2000-01-01'))) {
        this.jar.delete(c.name);
        continue;
      }
      this.jar.set(c.name, {
        value: c.value,
        expiresAt: maxAge === undefined ? null : this.clock.now() + Number(maxAge) * 1000,
      });
    }
  }

  /** A plain fetch with this browser's cookies; applies Set-Cookie; caches challenges. */
  async fetch(path: string, init: BrowserRequest = {}): Promise<Response> {
    const method = init.method ?? (init.form ? 'POST' : 'GET');
    const headers: Record<string, string> = { ...init.headers };
    const cookie = this.cookieHeader();
    if (cookie) headers.cookie = cookie;
    if (method !== 'GET' && !Object.keys(headers).some((k) => k.toLowerCase() === 'origin'))
      headers.origin = this.origin;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(new URL(path, this.base), { method, headers, body, redirect: 'manual' });
    this.applyCookies(res);
    this.#cacheChallenges(res);
    return res;
  }

  #cacheChallenges(res: Response): void {
    const s = this.session;
    if (!s) return;
    const c = parseChallenges(res.headers.get('secure-session-challenge')).get(s.id);
    if (c !== undefined) s.cachedChallenge = c;
  }

  /**
   * A request as a DBSC browser makes it: when a DBSC session's bound cookie is missing, the request
   * is deferred while the browser refreshes, then sent. Follows one 307 (the point-in-time proof).
   */
  async request(path: string, init: BrowserRequest = {}): Promise<Response> {
    await this.ensureFresh();
    const res = await this.fetch(path, init);
    if (res.status === 307 && res.headers.get('location')) {
      await this.ensureFresh();
      return this.fetch(res.headers.get('location')!, init);
    }
    return res;
  }

  async ensureFresh(): Promise<void> {
    const s = this.session;
    if (s && this.cookie(s.cookieName) === undefined) await this.refresh();
  }

  /** Logs alice in through the real form; registers a DBSC session when offered (and supported). */
  async login(): Promise<Response> {
    const page = await this.request('/login');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
    if (!csrf) throw new Error('no _csrf on /login');
    const res = await this.request('/login', {
      form: { username: 'alice', password: 'wonderland', _csrf: csrf },
    });
    if (this.options.supportsDbsc !== false) {
      const offer = parseRegistration(res.headers.get('secure-session-registration'));
      if (offer) await this.register(offer);
    }
    return res;
  }

  /** The registration request (POST to the offered path, the proof in `Secure-Session-Response`). */
  async register(
    offer: { algorithms: string[]; path: string; challenge: string | null },
    proof?: (key: DeviceKey, challenge: string) => string,
  ): Promise<Response> {
    const alg = this.options.alg ?? 'ES256';
    if (!offer.algorithms.includes(alg)) throw new Error(`server does not offer ${alg}`);
    const key = deviceKey(alg);
    const jwt = (proof ?? registrationProof)(key, offer.challenge ?? '');
    this.sentProofs.push(jwt);
    const res = await this.fetch(offer.path, {
      method: 'POST',
      headers: { accept: 'application/json', 'secure-session-response': jwt },
    });
    if (res.status !== 200) return res;
    const body = (await res.clone().json()) as {
      session_identifier: string;
      refresh_url?: string;
      credentials: Array<{ type: string; name: string }>;
    };
    this.session = {
      id: body.session_identifier,
      refreshUrl: new URL(body.refresh_url ?? offer.path, new URL(offer.path, this.base)).pathname,
      cookieName: body.credentials[0]!.name,
      key,
      cachedChallenge: null,
    };
    this.#cacheChallenges(res);
    return res;
  }

  /**
   * The refresh procedure: POST with `Sec-Secure-Session-Id` (and a proof over the cached challenge
   * if there is one); on 403, sign the challenge it carries; at most 5 challenges.
   */
  async refresh(signWith?: DeviceKey): Promise<Response> {
    const s = this.session;
    if (!s) throw new Error('no DBSC session');
    this.refreshes++;
    let challenge = s.cachedChallenge;
    for (let i = 0; i < 5; i++) {
      const headers: Record<string, string> = { accept: 'application/json', 'sec-secure-session-id': s.id };
      if (challenge !== null) {
        const jwt = refreshProof(signWith ?? s.key, challenge);
        this.sentProofs.push(jwt);
        headers['secure-session-response'] = jwt;
      }
      const res = await this.fetch(s.refreshUrl, { method: 'POST', headers });
      if (res.status === 403) {
        challenge = parseChallenges(res.headers.get('secure-session-challenge')).get(s.id) ?? null;
        if (challenge === null) return res;
        continue;
      }
      if (res.status >= 400 && res.status < 500)
        this.session = null; // the browser ends the session
      else if (res.status === 200) {
        const text = await res.clone().text();
        if (text && (JSON.parse(text) as { continue?: boolean }).continue === false) this.session = null;
      }
      return res;
    }
    throw new Error('too many challenges');
  }

  /**
   * A copy of everything in this browser's cookie jar (what cookie-stealing malware takes). The
   * thief's client ignores expiry: it keeps sending the bound cookie for as long as it likes.
   */
  stealCookies(): DbscBrowser {
    const thief = new DbscBrowser(this.base, this.clock, { supportsDbsc: false });
    for (const [k, v] of this.jar) thief.jar.set(k, { value: v.value, expiresAt: null });
    return thief;
  }
}
