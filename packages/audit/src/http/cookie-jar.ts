import setCookieParser from 'set-cookie-parser';

/** One cookie as the jar keeps it, with the attributes the server sent. */
export interface StoredCookie {
  name: string;
  value: string;
  domain: string;
  hostOnly: boolean;
  path: string;
  secure: boolean;
  httpOnly: boolean;
  sameSite: string | undefined;
  expiresAt: number | undefined;
  /** The Set-Cookie header line this cookie came from, verbatim. */
  raw: string;
}

/** A parsed Set-Cookie header with the attributes as written (before any defaulting). */
export interface SetCookieLine {
  raw: string;
  name: string;
  value: string;
  path: string | undefined;
  domain: string | undefined;
  maxAge: number | undefined;
  expires: Date | undefined;
  secure: boolean;
  httpOnly: boolean;
  sameSite: string | undefined;
}

/** Parses Set-Cookie header lines without decoding values (the token is compared byte for byte). */
export function parseSetCookie(lines: readonly string[]): SetCookieLine[] {
  return lines.map((raw) => {
    const c = setCookieParser.parseString(raw, { decodeValues: false });
    return {
      raw,
      name: c.name,
      value: c.value,
      path: c.path,
      domain: c.domain,
      maxAge: c.maxAge,
      expires: c.expires,
      secure: c.secure === true,
      httpOnly: c.httpOnly === true,
      sameSite: c.sameSite,
    };
  });
}

function defaultPath(url: URL): string {
  const p = url.pathname;
  if (!p.startsWith('/') || p.lastIndexOf('/') === 0) return '/';
  return p.slice(0, p.lastIndexOf('/'));
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

function domainMatches(host: string, cookie: StoredCookie): boolean {
  if (cookie.hostOnly) return host === cookie.domain;
  return host === cookie.domain || host.endsWith(`.${cookie.domain}`);
}

/** Browsers treat loopback hosts as secure contexts and send `Secure` cookies to them over http. */
export function isSecureContext(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  return url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
}

/**
 * A small browser-like cookie jar: stores what Set-Cookie says (host-only vs domain, path,
 * expiry, Secure), and builds the Cookie header for a URL. Tessera's own logic; parsing is
 * delegated to set-cookie-parser.
 */
export class CookieJar {
  #cookies = new Map<string, StoredCookie>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  #key(c: { name: string; domain: string; path: string }): string {
    return `${c.domain};${c.path};${c.name}`;
  }

  /** Applies the Set-Cookie lines of a response received from `url`. */
  store(url: URL, lines: readonly string[]): void {
    for (const line of parseSetCookie(lines)) {
      if (!line.name) continue;
      const host = url.hostname;
      let domain = host;
      let hostOnly = true;
      if (line.domain) {
        const d = line.domain.replace(/^\./, '').toLowerCase();
        if (host !== d && !host.endsWith(`.${d}`)) continue; // a browser would reject it
        domain = d;
        hostOnly = false;
      }
      if (line.secure && !isSecureContext(url)) continue;
      const path = line.path?.startsWith('/') ? line.path : defaultPath(url);
      let expiresAt: number | undefined;
      if (line.maxAge !== undefined) expiresAt = this.#now() + line.maxAge * 1000;
      else if (line.expires) expiresAt = line.expires.getTime();
      const cookie: StoredCookie = {
        name: line.name,
        value: line.value,
        domain,
        hostOnly,
        path,
        secure: line.secure,
        httpOnly: line.httpOnly,
        sameSite: line.sameSite,
        expiresAt,
        raw: line.raw,
      };
      const key = this.#key(cookie);
      if (expiresAt !== undefined && expiresAt <= this.#now()) this.#cookies.delete(key);
      else this.#cookies.set(key, cookie);
    }
  }

  /** The Cookie header value to send to `url`, or undefined when no cookie applies. */
  headerFor(url: URL): string | undefined {
    const now = this.#now();
    const matching = [...this.#cookies.values()]
      .filter((c) => c.expiresAt === undefined || c.expiresAt > now)
      .filter((c) => domainMatches(url.hostname, c) && pathMatches(url.pathname, c.path))
      .filter((c) => !c.secure || isSecureContext(url))
      .sort((a, b) => b.path.length - a.path.length);
    if (matching.length === 0) return undefined;
    return matching.map((c) => `${c.name}=${c.value}`).join('; ');
  }

  /** The live cookie named `name` (the first one, when several paths hold it). */
  get(name: string): StoredCookie | undefined {
    const now = this.#now();
    return [...this.#cookies.values()].find(
      (c) => c.name === name && (c.expiresAt === undefined || c.expiresAt > now),
    );
  }

  /** All live cookies. */
  all(): StoredCookie[] {
    const now = this.#now();
    return [...this.#cookies.values()].filter((c) => c.expiresAt === undefined || c.expiresAt > now);
  }

  /** Sets a cookie by hand (a planted or replayed value), host-only on `url`'s host, path `/`. */
  set(url: URL, name: string, value: string): void {
    for (const c of this.#cookies.values()) if (c.name === name) this.#cookies.delete(this.#key(c));
    const cookie: StoredCookie = {
      name,
      value,
      domain: url.hostname,
      hostOnly: true,
      path: '/',
      secure: false,
      httpOnly: false,
      sameSite: undefined,
      expiresAt: undefined,
      raw: `${name}=${value}`,
    };
    this.#cookies.set(this.#key(cookie), cookie);
  }

  /** Removes every cookie named `name`. */
  delete(name: string): void {
    for (const c of [...this.#cookies.values()]) if (c.name === name) this.#cookies.delete(this.#key(c));
  }
}
