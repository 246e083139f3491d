import type { Exchange } from './http/client.ts';
import type { RuleId } from './mappings.ts';

/** Stacks the auditor recognises from the outside, for fix hints in their own terms. */
export type Stack = 'php' | 'django' | 'tomcat' | 'express-session';

/** Human names of the stacks. */
export const STACK_NAMES: Record<Stack, string> = {
  php: 'PHP native sessions',
  django: 'Django',
  tomcat: 'Tomcat / Jakarta Servlet',
  'express-session': 'express-session',
};

/**
 * Recognises the stack by its session cookie's name and the headers it sends: PHPSESSID or
 * `X-Powered-By: PHP`, Django's sessionid beside csrftoken, JSESSIONID, express-session's
 * connect.sid. Undefined when nothing is distinctive.
 */
export function detectStack(sessionCookie: string | undefined, log: readonly Exchange[]): Stack | undefined {
  const names = new Set<string>();
  let poweredBy = '';
  for (const ex of log) {
    for (const line of ex.setCookie) names.add(line.split('=')[0]?.trim() ?? '');
    poweredBy ||= ex.responseHeaders['x-powered-by'] ?? '';
  }
  const cookie = sessionCookie ?? '';
  if (cookie === 'PHPSESSID' || /^PHP\//i.test(poweredBy)) return 'php';
  if (cookie === 'JSESSIONID' || /servlet|jsp/i.test(poweredBy)) return 'tomcat';
  if (cookie === 'connect.sid') return 'express-session';
  if (cookie === 'sessionid' && names.has('csrftoken')) return 'django';
  return undefined;
}

/** How to fix a finding on a recognised stack; only where the stack has a specific setting or call. */
const HINTS: Record<Stack, Partial<Record<RuleId, string>>> = {
  php: {
    'COOKIE-NO-SECURE':
      "php.ini: `session.cookie_secure = 1` (or `session_set_cookie_params(['secure' => true])`).",
    'COOKIE-NO-HTTPONLY': 'php.ini: `session.cookie_httponly = 1`.',
    'COOKIE-NO-SAMESITE': 'php.ini: `session.cookie_samesite = "Lax"` (PHP ≥ 7.3).',
    'COOKIE-NO-PREFIX':
      'php.ini: `session.name = "__Host-PHPSESSID"` with `cookie_secure = 1` and `cookie_path = /`.',
    'FIXATION-NO-ROTATION': 'Call `session_regenerate_id(true)` right after a successful login.',
    'FIXATION-PLANTED-ADOPTED':
      'php.ini: `session.use_strict_mode = 1` (PHP then refuses ids it did not create).',
    'ROTATION-NO-ROTATION': 'Call `session_regenerate_id(true)` whenever privileges change.',
    'LOGOUT-NOT-INVALIDATED':
      "At logout: `$_SESSION = []; session_destroy();` and delete the cookie with `setcookie(session_name(), '', time() - 42000, …)`.",
    'LOGOUT-COOKIE-NOT-CLEARED':
      "At logout delete the cookie: `setcookie(session_name(), '', time() - 42000, $p['path'], $p['domain'], $p['secure'], $p['httponly'])`.",
    'TOKEN-IN-URL': 'php.ini: `session.use_trans_sid = 0` and `session.use_only_cookies = 1`.',
    'TOKEN-URL-ACCEPTED':
      'php.ini: `session.use_only_cookies = 1`, `session.use_trans_sid = 0`, `session.use_strict_mode = 1`.',
    'CACHE-AUTHENTICATED-STORABLE':
      "php.ini: `session.cache_limiter = nocache` (the default) or `header('Cache-Control: no-store')`.",
    'TOKEN-LOW-ENTROPY':
      'php.ini: `session.sid_length = 32` or more with `session.sid_bits_per_character = 5` or 6.',
  },
  django: {
    'COOKIE-NO-SECURE': 'settings.py: `SESSION_COOKIE_SECURE = True`.',
    'COOKIE-NO-HTTPONLY': 'settings.py: `SESSION_COOKIE_HTTPONLY = True` (the default).',
    'COOKIE-NO-SAMESITE': 'settings.py: `SESSION_COOKIE_SAMESITE = "Lax"` (the default).',
    'COOKIE-NO-PREFIX':
      'settings.py: `SESSION_COOKIE_NAME = "__Host-sessionid"` with `SESSION_COOKIE_SECURE = True`.',
    'COOKIE-PERSISTENT':
      'settings.py: `SESSION_EXPIRE_AT_BROWSER_CLOSE = True`, or a shorter `SESSION_COOKIE_AGE`.',
    'FIXATION-NO-ROTATION':
      'Log users in with `django.contrib.auth.login()`, which calls `request.session.cycle_key()`.',
    'ROTATION-NO-ROTATION': 'Call `request.session.cycle_key()` when privileges change.',
    'LOGOUT-NOT-INVALIDATED': 'Log out with `django.contrib.auth.logout()` (it flushes the session).',
    'CSRF-CROSS-SITE-ACCEPTED':
      'Keep `django.middleware.csrf.CsrfViewMiddleware` and do not use `@csrf_exempt` on state-changing views.',
    'CACHE-AUTHENTICATED-STORABLE':
      'Decorate authenticated views with `@never_cache` (or `@cache_control(no_store=True)`).',
    'CACHE-PRIVATE-ONLY': 'Use `@never_cache` (adds no-store) instead of `@cache_control(private=True)`.',
  },
  tomcat: {
    'COOKIE-NO-SECURE':
      'web.xml: `<session-config><cookie-config><secure>true</secure></cookie-config></session-config>`.',
    'COOKIE-NO-HTTPONLY': 'web.xml: `<cookie-config><http-only>true</http-only></cookie-config>`.',
    'COOKIE-NO-SAMESITE': 'context.xml: `<CookieProcessor sameSiteCookies="lax"/>`.',
    'COOKIE-NO-PREFIX':
      'web.xml: `<cookie-config><name>__Host-JSESSIONID</name><secure>true</secure></cookie-config>`.',
    'FIXATION-NO-ROTATION':
      'Call `request.changeSessionId()` after a successful login (container-managed login does it by default).',
    'ROTATION-NO-ROTATION': 'Call `request.changeSessionId()` when privileges change.',
    'LOGOUT-COOKIE-NOT-CLEARED':
      'After `session.invalidate()` send an expired JSESSIONID cookie (Max-Age=0, same Path).',
    'LOGOUT-NOT-INVALIDATED': 'Call `session.invalidate()` at logout.',
    'TOKEN-IN-URL':
      'web.xml: `<session-config><tracking-mode>COOKIE</tracking-mode></session-config>` (no URL rewriting).',
    'TOKEN-URL-ACCEPTED':
      'web.xml: `<session-config><tracking-mode>COOKIE</tracking-mode></session-config>` (Tomcat then ignores `;jsessionid=`).',
    'CACHE-AUTHENTICATED-STORABLE':
      'Send `Cache-Control: no-store` on authenticated pages (a filter, or `response.setHeader`).',
  },
  'express-session': {
    'COOKIE-NO-SECURE':
      "`session({ cookie: { secure: true } })` (and `app.set('trust proxy', 1)` behind a TLS proxy).",
    'COOKIE-NO-HTTPONLY': '`session({ cookie: { httpOnly: true } })` (the default).',
    'COOKIE-NO-SAMESITE': "`session({ cookie: { sameSite: 'lax' } })`.",
    'COOKIE-NO-PREFIX': "`session({ name: '__Host-sid', cookie: { secure: true, path: '/' } })`.",
    'COOKIE-PERSISTENT': 'Leave `cookie.maxAge` unset (browser-session cookie) or shorten it.',
    'FIXATION-NO-ROTATION': 'Call `req.session.regenerate()` at login, before storing the user.',
    'ROTATION-NO-ROTATION': 'Call `req.session.regenerate()` when privileges change.',
    'LOGOUT-COOKIE-NOT-CLEARED': 'After `req.session.destroy()` call `res.clearCookie(<name>)`.',
    'LOGOUT-NOT-INVALIDATED': 'Call `req.session.destroy()` at logout, not only `res.clearCookie()`.',
    'CSRF-CROSS-SITE-ACCEPTED':
      'Add CSRF protection (e.g. a synchronizer token or a Sec-Fetch-Site/Origin check middleware).',
    'CACHE-AUTHENTICATED-STORABLE':
      "Set `Cache-Control: no-store` on authenticated responses (`res.set('Cache-Control', 'no-store')`).",
    'FIXATION-PLANTED-ADOPTED': 'Keep the default `genid`; never take session ids from the request.',
  },
};

/** The fix hint for a finding on a stack, if there is one. */
export function fixHint(stack: Stack | undefined, rule: RuleId): string | undefined {
  return stack ? HINTS[stack][rule] : undefined;
}
