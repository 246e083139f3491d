import { ConfigError } from '../errors.ts';

/** Options of the session cookie. Defaults: `__Host-sid`, Secure, HttpOnly, Path=/, no Domain, SameSite=Lax. */
export interface CookieOptions {
  /** Cookie name. Default `__Host-sid` (`sid` when `insecure` is set). Must keep the `__Host-` prefix unless `insecure`. */
  name?: string;
  /** `lax` (default) or `strict`. `none` is refused: it invites cross-site requests. */
  sameSite?: 'lax' | 'strict';
  /**
   * Send the cookie without `Secure` (plain HTTP beyond localhost). Off by default; setting it
   * drops the `__Host-` prefix and is meant for closed test networks only.
   */
  insecure?: boolean;
}

/** Resolved cookie settings. */
export interface ResolvedCookie {
  name: string;
  sameSite: 'lax' | 'strict';
  secure: boolean;
}

const NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** True for `localhost`, `*.localhost` and loopback addresses, which browsers treat as secure contexts. */
export function isLocalHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return LOCAL_HOSTS.has(h) || h.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * Validates cookie options. With `publicOrigin` (the origin users reach the app at), refuses a
 * plain-HTTP origin that is not localhost unless `insecure` is set explicitly, because browsers
 * drop `Secure` cookies there and sessions would silently fail.
 */
export function resolveCookieOptions(options: CookieOptions = {}, publicOrigin?: string): ResolvedCookie {
  const insecure = options.insecure === true;
  const name = options.name ?? (insecure ? 'sid' : '__Host-sid');
  if (!NAME.test(name)) throw new ConfigError('cookie.name', 'must be a cookie token of 1-64 characters.');
  const sameSite = options.sameSite ?? 'lax';
  if (sameSite !== 'lax' && sameSite !== 'strict') {
    throw new ConfigError(
      'cookie.sameSite',
      "must be 'lax' or 'strict' ('none' would send the session cross-site).",
    );
  }
  if (insecure && (name.startsWith('__Host-') || name.startsWith('__Secure-'))) {
    throw new ConfigError(
      'cookie.name',
      'a __Host- or __Secure- cookie must be Secure; drop the prefix or the `insecure` option.',
    );
  }
  if (!insecure && !name.startsWith('__Host-')) {
    throw new ConfigError(
      'cookie.name',
      `must start with __Host- (got ${JSON.stringify(name)}): the prefix makes browsers refuse the cookie from sibling ` +
        'domains and other paths (cookie tossing) and forces Secure, Path=/ and no Domain.',
    );
  }
  if (publicOrigin !== undefined) {
    let url: URL;
    try {
      url = new URL(publicOrigin);
    } catch {
      throw new ConfigError('publicOrigin', `is not a URL: ${JSON.stringify(publicOrigin)}.`);
    }
    if (url.protocol === 'http:' && !isLocalHost(url.hostname) && !insecure) {
      throw new ConfigError(
        'publicOrigin',
        `${url.origin} is plain HTTP and not localhost: browsers drop Secure cookies there. Serve it over HTTPS, ` +
          'or set `cookie: { insecure: true }` explicitly (closed test networks only).',
      );
    }
  }
  return { name, sameSite, secure: !insecure };
}
