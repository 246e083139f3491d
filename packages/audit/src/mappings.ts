import type { CheckId, Mapping, Severity } from './findings.ts';

/** A rule: what a finding of this kind means and how to fix it, with its standard mappings. */
export interface Rule {
  check: CheckId;
  title: string;
  severity: Severity;
  description: string;
  impact: string;
  likelihood: string;
  recommendation: string;
  mapping: Mapping;
}

const rules = {
  'COOKIE-NO-SECURE': {
    check: 'cookie-attributes',
    title: 'Session cookie sent without the Secure attribute',
    severity: 'medium',
    description: 'The session cookie is set without `Secure`, so the browser also sends it over plain HTTP.',
    impact:
      'Anyone on the network path (public Wi-Fi, a proxy) can read the token from a single plain-HTTP request and take over the session.',
    likelihood:
      'Moderate: it needs one plain-HTTP request (a mistyped link, an http:// redirect, an injected image) while the attacker watches the network.',
    recommendation:
      'Set `Secure` on the session cookie (and serve the site only over HTTPS with HSTS). With express-session: `cookie: { secure: true }` behind `app.set("trust proxy", 1)` if TLS ends at a proxy.',
    mapping: {
      asvs: ['V3.3.1'],
      wstg: ['WSTG-SESS-02'],
      cwe: [614],
      stride: ['Information disclosure', 'Spoofing'],
      zap: [10011],
    },
  },
  'COOKIE-NO-HTTPONLY': {
    check: 'cookie-attributes',
    title: 'Session cookie readable by scripts (no HttpOnly)',
    severity: 'medium',
    description:
      'The session cookie is set without `HttpOnly`, so `document.cookie` exposes it to any script on the page.',
    impact:
      'One cross-site-scripting bug anywhere on the origin becomes a full session takeover: the script sends the token to the attacker.',
    likelihood: 'Depends on the presence of an XSS flaw; such flaws are common in large applications.',
    recommendation: 'Set `HttpOnly` on the session cookie; nothing in the browser needs to read it.',
    mapping: {
      asvs: ['V3.3.4'],
      wstg: ['WSTG-SESS-02'],
      cwe: [1004],
      stride: ['Information disclosure', 'Spoofing'],
      zap: [10010],
    },
  },
  'COOKIE-NO-SAMESITE': {
    check: 'cookie-attributes',
    title: 'Session cookie without a SameSite attribute',
    severity: 'low',
    description:
      'The session cookie has no `SameSite` attribute, so its cross-site behaviour is left to each browser’s default (some send it on cross-site requests).',
    impact:
      'Cross-site requests may carry the session, which is the precondition for cross-site request forgery.',
    likelihood: 'Low to moderate: modern Chromium defaults to Lax, other browsers and older versions do not.',
    recommendation: 'Set `SameSite=Lax` (or `Strict`) explicitly on the session cookie.',
    mapping: { asvs: ['V3.3.2'], wstg: ['WSTG-SESS-02'], cwe: [1275], stride: ['Tampering'], zap: [10054] },
  },
  'COOKIE-SAMESITE-NONE': {
    check: 'cookie-attributes',
    title: 'Session cookie explicitly sent cross-site (SameSite=None)',
    severity: 'medium',
    description: 'The session cookie is set with `SameSite=None`, so every cross-site request carries it.',
    impact:
      'Any site the user visits can make authenticated requests to this application; only a separate CSRF defence stands between them and the user’s account.',
    likelihood: 'Moderate: attackers only need the user to visit a page they control.',
    recommendation:
      'Use `SameSite=Lax` (or `Strict`) unless the cookie must really travel cross-site; then add a strict Origin/Sec-Fetch-Site check.',
    mapping: { asvs: ['V3.3.2'], wstg: ['WSTG-SESS-02'], cwe: [1275], stride: ['Tampering'], zap: [10054] },
  },
  'COOKIE-NO-PREFIX': {
    check: 'cookie-attributes',
    title: 'Session cookie name lacks the __Host- prefix',
    severity: 'low',
    description:
      'The session cookie name has neither the `__Host-` nor the `__Secure-` prefix, so browsers do not enforce Secure, Path=/ and host-only scope for it.',
    impact:
      'A sibling subdomain or a network attacker on plain HTTP can overwrite ("toss") the cookie, which enables fixation and login-CSRF attacks.',
    likelihood: 'Low: needs control of a sibling subdomain or a plain-HTTP response.',
    recommendation: 'Rename the session cookie to `__Host-<name>` with `Secure`, `Path=/` and no `Domain`.',
    mapping: {
      asvs: ['V3.3.1', 'V3.3.3'],
      wstg: ['WSTG-SESS-02'],
      cwe: [565],
      stride: ['Tampering', 'Spoofing'],
    },
  },
  'COOKIE-DOMAIN-SCOPE': {
    check: 'cookie-attributes',
    title: 'Session cookie scoped to a whole domain',
    severity: 'low',
    description:
      'The session cookie carries a `Domain` attribute, so it is sent to every subdomain of that domain, not only this host.',
    impact: 'Any subdomain (including a forgotten or compromised one) receives the session token.',
    likelihood: 'Low to moderate: depends on how many hosts share the domain and who controls them.',
    recommendation: 'Drop the `Domain` attribute so the cookie is host-only (required for `__Host-`).',
    mapping: {
      asvs: ['V3.3.3'],
      wstg: ['WSTG-SESS-02'],
      cwe: [668],
      stride: ['Information disclosure'],
      zap: [90033],
    },
  },
  'COOKIE-PERSISTENT': {
    check: 'cookie-attributes',
    title: 'Session cookie persisted beyond the session lifetime',
    severity: 'low',
    description:
      'The session cookie carries `Max-Age`/`Expires`, so the browser writes it to disk and keeps it after closing.',
    impact:
      'The token outlives the browser session and the declared lifetime; on a shared or stolen machine it can be reused.',
    likelihood: 'Low: needs access to the user’s browser profile or device.',
    recommendation:
      'Issue the session cookie without `Max-Age`/`Expires` (a browser-session cookie), or at most for the declared absolute lifetime for an explicit remember-me.',
    mapping: { asvs: ['V7.3.2'], wstg: ['WSTG-SESS-02'], cwe: [539], stride: ['Information disclosure'] },
  },
  'SESSION-COOKIE-UNIDENTIFIED': {
    check: 'session-cookie',
    title: 'Session cookie could not be identified',
    severity: 'info',
    description:
      'No single cookie’s removal logged the user out, so the auditor could not tell which cookie carries the session.',
    impact: 'Checks that need the session token (fixation, logout, randomness) may be less precise.',
    likelihood: 'Not applicable.',
    recommendation: 'Name the session cookie in the profile (`session.cookie`).',
    mapping: { asvs: [], wstg: ['WSTG-SESS-01'], cwe: [], stride: [] },
  },
  'TOKEN-IN-URL': {
    check: 'token-in-url',
    title: 'Session token placed in a URL',
    severity: 'high',
    description:
      'The session token appears in a URL the application produces (a Location header or a link in a page).',
    impact:
      'URLs leak through browser history, Referer headers, proxy and server logs and shared links; whoever reads one can take over the session.',
    likelihood: 'High: the token leaks without any attacker action, every time such a URL is used.',
    recommendation:
      'Carry the session only in a cookie (or an Authorization header for APIs); never rewrite URLs with the session id and never accept a token from the query string.',
    mapping: {
      asvs: ['V14.2.1'],
      wstg: ['WSTG-SESS-04'],
      cwe: [598, 200],
      stride: ['Information disclosure', 'Spoofing'],
      zap: [3],
    },
  },
  'TOKEN-URL-ACCEPTED': {
    check: 'token-in-url',
    title: 'Session id accepted from the URL',
    severity: 'medium',
    description:
      'A request without any cookie, carrying the session id only in the URL (a `;jsessionid=` path parameter or a query parameter), is served as the logged-in user.',
    impact:
      'An attacker can fix a victim’s session with nothing more than a link (session fixation, WSTG-SESS-03), and ids that travel in URLs leak through history, Referer headers and logs.',
    likelihood:
      'Medium: the attacker has to get the victim to follow a crafted link and log in, or to obtain a URL that carries an id.',
    recommendation:
      'Accept the session id only from the cookie: turn URL session tracking off (Tomcat/Jakarta `<tracking-mode>COOKIE</tracking-mode>`, PHP `session.use_only_cookies=1` and `session.use_trans_sid=0`) and never read the id from query parameters.',
    mapping: {
      asvs: ['V3.1.1', 'V3.2.1'],
      wstg: ['WSTG-SESS-03', 'WSTG-SESS-04'],
      cwe: [384, 598],
      stride: ['Spoofing'],
    },
  },
  'TOKEN-REFLECTED': {
    check: 'token-in-url',
    title: 'Session token reflected in a response body',
    severity: 'medium',
    description: 'The session token appears in a response body or header other than Set-Cookie.',
    impact:
      '`HttpOnly` no longer protects the token: a script (XSS) or a cached copy of the page can read it.',
    likelihood: 'Moderate: needs an XSS flaw or access to a cached response.',
    recommendation:
      'Never echo the session token into pages, JSON or headers; transfer it only with Set-Cookie.',
    mapping: {
      asvs: ['V3.3.4', 'V14.2.1'],
      wstg: ['WSTG-SESS-04'],
      cwe: [200],
      stride: ['Information disclosure'],
    },
  },
  'FIXATION-NO-ROTATION': {
    check: 'fixation',
    title: 'Session token not renewed at login',
    severity: 'high',
    description: 'The token issued before login is still the session token after login.',
    impact:
      'An attacker who plants or learns the pre-login token (a shared computer, a cookie tossed from a subdomain, a token in a URL) is logged in as the victim once the victim logs in: session fixation.',
    likelihood:
      'Moderate: planting a token needs a foothold (subdomain, XSS, network), which is a well-documented attack path.',
    recommendation:
      'Issue a new session token at login (and at every privilege change) and delete the old session server-side — e.g. `req.session.regenerate()` in express-session before setting the user.',
    mapping: { asvs: ['V7.2.4'], wstg: ['WSTG-SESS-03'], cwe: [384], stride: ['Spoofing'], zap: [40013] },
  },
  'FIXATION-OLD-TOKEN-VALID': {
    check: 'fixation',
    title: 'Pre-login token still works after login',
    severity: 'high',
    description:
      'A new token was issued at login, but the pre-login token also authenticates as the logged-in user.',
    impact:
      'Session fixation remains possible: whoever holds the pre-login token shares the victim’s authenticated session.',
    likelihood: 'Moderate: as for any fixation flaw.',
    recommendation:
      'When rotating at login, terminate the old session record server-side instead of aliasing it to the new one.',
    mapping: { asvs: ['V7.2.4'], wstg: ['WSTG-SESS-03'], cwe: [384], stride: ['Spoofing'], zap: [40013] },
  },
  'FIXATION-PLANTED-ADOPTED': {
    check: 'fixation',
    title: 'Server adopts a session token chosen by the client',
    severity: 'high',
    description:
      'A cookie value the server never issued was kept as the session token and authenticated after login.',
    impact:
      'An attacker chooses a token, plants it in the victim’s browser and uses it once the victim logs in — no need even to obtain a token from the server first.',
    likelihood:
      'Moderate to high: planting a cookie needs only a subdomain, a plain-HTTP response or an injected header.',
    recommendation:
      'Run the session layer in strict mode: an unknown token must yield a fresh server-generated token, never a session under the offered value; also rotate at login.',
    mapping: { asvs: ['V7.2.3', 'V7.2.4'], wstg: ['WSTG-SESS-03'], cwe: [384], stride: ['Spoofing'] },
  },
  'LOGOUT-NOT-INVALIDATED': {
    check: 'logout',
    title: 'Logout does not end the session on the server',
    severity: 'high',
    description: 'After logout, the old session token still authenticates.',
    impact:
      'A token stolen before logout (or left on a shared machine) keeps working; the user has no way to end the session.',
    likelihood: 'Moderate: needs a stolen or captured token, which other flaws and shared devices provide.',
    recommendation:
      'On logout, delete or revoke the session record server-side (e.g. `req.session.destroy()`), then clear the cookie; reject the old token afterwards.',
    mapping: { asvs: ['V7.4.1'], wstg: ['WSTG-SESS-06'], cwe: [613], stride: ['Spoofing'] },
  },
  'LOGOUT-COOKIE-NOT-CLEARED': {
    check: 'logout',
    title: 'Logout leaves the session cookie in the browser',
    severity: 'low',
    description: 'The logout response did not clear or replace the session cookie.',
    impact:
      'The dead token stays in the browser; harmless while the server rejects it, but it hides whether logout really worked.',
    likelihood: 'Low.',
    recommendation:
      'Expire the session cookie in the logout response (`Set-Cookie: <name>=; Max-Age=0`) and send `Clear-Site-Data: "cookies", "storage"`.',
    mapping: { asvs: ['V14.3.1'], wstg: ['WSTG-SESS-06'], cwe: [613], stride: ['Information disclosure'] },
  },
  'TIMEOUT-IDLE-NOT-ENFORCED': {
    check: 'timeout',
    title: 'Idle timeout longer than declared or not enforced',
    severity: 'medium',
    description: 'A session left idle for longer than the declared idle timeout still authenticated.',
    impact:
      'An unattended, logged-in browser or a stolen token stays usable for longer than the policy allows.',
    likelihood: 'Moderate: depends on physical or token access.',
    recommendation:
      'Enforce the idle deadline server-side on every request (reject and delete the record once `lastSeen + idle` has passed).',
    mapping: { asvs: ['V7.3.1'], wstg: ['WSTG-SESS-07'], cwe: [613], stride: ['Spoofing'] },
  },
  'TIMEOUT-ABSOLUTE-NOT-ENFORCED': {
    check: 'timeout',
    title: 'Absolute lifetime longer than declared or not enforced',
    severity: 'medium',
    description: 'A session kept active by regular requests outlived the declared absolute lifetime.',
    impact: 'A stolen token that is kept busy never expires; the user is never forced to re-authenticate.',
    likelihood: 'Moderate.',
    recommendation:
      'Store an absolute deadline when the session is created and never extend it; reject the session once it has passed.',
    mapping: { asvs: ['V7.3.2'], wstg: ['WSTG-SESS-07'], cwe: [613], stride: ['Spoofing'] },
  },
  'ROTATION-NO-ROTATION': {
    check: 'rotation',
    title: 'Session token not renewed on privilege change',
    severity: 'medium',
    description: 'The privilege-change request described in the profile did not lead to a new session token.',
    impact:
      'A token obtained while the session had low privilege (e.g. before step-up or role change) gains the new privileges.',
    likelihood: 'Moderate.',
    recommendation:
      'Rotate the session token whenever the privilege level changes (role granted, MFA completed, password re-entered), terminating the old token.',
    mapping: { asvs: ['V7.2.4'], wstg: ['WSTG-SESS-03'], cwe: [384], stride: ['Elevation of privilege'] },
  },
  'ROTATION-OLD-TOKEN-VALID': {
    check: 'rotation',
    title: 'Old token still works after privilege change',
    severity: 'medium',
    description: 'A new token was issued on privilege change, but the old token still authenticates.',
    impact:
      'The rotation gives no protection: the pre-elevation token keeps working with the new privileges.',
    likelihood: 'Moderate.',
    recommendation:
      'When rotating, terminate the old token server-side (allow at most a few seconds of grace for in-flight requests).',
    mapping: { asvs: ['V7.2.4'], wstg: ['WSTG-SESS-03'], cwe: [384], stride: ['Elevation of privilege'] },
  },
  'CSRF-CROSS-SITE-ACCEPTED': {
    check: 'csrf',
    title: 'State-changing request accepted cross-site (CSRF)',
    severity: 'high',
    description:
      'The state-changing request succeeded when replayed as another site would send it: foreign `Origin`, `Sec-Fetch-Site: cross-site`, no anti-CSRF token.',
    impact: 'Any web page the logged-in user visits can perform this action in their name.',
    likelihood:
      'High when the session cookie travels cross-site (SameSite None or absent in some browsers); the attack needs only a visit to a hostile page.',
    recommendation:
      'Refuse unsafe methods when `Sec-Fetch-Site` is `cross-site` or `Origin` is not your own origin, and require a synchronizer token when neither header is present; keep `SameSite=Lax` on the session cookie.',
    mapping: {
      asvs: ['V3.5.1'],
      wstg: ['WSTG-SESS-05'],
      cwe: [352],
      stride: ['Tampering', 'Spoofing'],
      zap: [10202],
    },
  },
  'CACHE-AUTHENTICATED-STORABLE': {
    check: 'caching',
    title: 'Authenticated page may be cached',
    severity: 'medium',
    description: 'An authenticated response has no `Cache-Control: no-store` (nor `private`).',
    impact:
      'Browsers and shared caches (proxies, CDNs) may store personal pages; the next user of the machine or the cache can read them.',
    likelihood: 'Moderate: shared machines and misconfigured caches are common.',
    recommendation: 'Send `Cache-Control: no-store` on every authenticated response.',
    mapping: {
      asvs: ['V14.3.2', 'V14.2.2'],
      wstg: ['WSTG-ATHN-06'],
      cwe: [525],
      stride: ['Information disclosure'],
      zap: [10015],
    },
  },
  'CACHE-PRIVATE-ONLY': {
    check: 'caching',
    title: 'Authenticated page cacheable by the browser',
    severity: 'low',
    description:
      'An authenticated response is marked `private` but not `no-store`, so the browser keeps a copy on disk.',
    impact:
      'Another user of the same browser profile can read the page from the cache or with the Back button after logout.',
    likelihood: 'Low: needs access to the same device.',
    recommendation: 'Send `Cache-Control: no-store` on every authenticated response.',
    mapping: {
      asvs: ['V14.3.2'],
      wstg: ['WSTG-ATHN-06'],
      cwe: [525],
      stride: ['Information disclosure'],
      zap: [10015],
    },
  },
  'TOKEN-WEAK-RANDOMNESS': {
    check: 'randomness',
    title: 'Session tokens fail statistical randomness tests',
    severity: 'high',
    description: 'A sample of freshly issued session tokens fails statistical tests for randomness.',
    impact:
      'Tokens that are not uniformly random can be guessed or narrowed down far faster than brute force, letting an attacker hijack sessions of other users.',
    likelihood:
      'Moderate to high: token prediction needs only the ability to request sessions and to send guesses.',
    recommendation:
      'Generate tokens from the OS CSPRNG — e.g. `crypto.randomBytes(32).toString("base64url")` — and nothing else (no counters, timestamps or Math.random).',
    mapping: { asvs: ['V7.2.3'], wstg: ['WSTG-SESS-01'], cwe: [330, 331], stride: ['Spoofing'] },
  },
  'TOKEN-LOW-ENTROPY': {
    check: 'randomness',
    title: 'Session tokens have less than 128 bits of entropy',
    severity: 'high',
    description: 'The estimated effective entropy of the session token is below the 128 bits ASVS requires.',
    impact: 'Brute-forcing live session tokens becomes feasible, and the lower the figure the faster.',
    likelihood: 'Moderate: online guessing is noisy but needs no foothold.',
    recommendation:
      'Use at least 128 bits (better 256) from the OS CSPRNG — e.g. `crypto.randomBytes(32).toString("base64url")`.',
    mapping: { asvs: ['V7.2.3'], wstg: ['WSTG-SESS-01'], cwe: [331, 6], stride: ['Spoofing'] },
  },
  'TOKEN-PREDICTABLE': {
    check: 'randomness',
    title: 'Session tokens are predictable',
    severity: 'high',
    description: 'Session tokens follow a predictable pattern (a counter, a timestamp or a hash of one).',
    impact:
      'An attacker who sees one token can compute the tokens issued to other users and take over their sessions.',
    likelihood: 'High: the attack needs one request to learn a token and a few guesses.',
    recommendation:
      'Generate tokens from the OS CSPRNG — e.g. `crypto.randomBytes(32).toString("base64url")`; never derive them from counters, clocks or user data, hashed or not.',
    mapping: { asvs: ['V7.2.3'], wstg: ['WSTG-SESS-01'], cwe: [340, 330], stride: ['Spoofing'] },
  },
  'TOKEN-DUPLICATE': {
    check: 'randomness',
    title: 'The same session token was issued twice',
    severity: 'high',
    description: 'Two independent new sessions received the same token.',
    impact: 'Two users can end up sharing one session: one sees and acts as the other.',
    likelihood: 'High under load.',
    recommendation:
      'Generate tokens from the OS CSPRNG with at least 128 bits and reject collisions at insert time.',
    mapping: {
      asvs: ['V7.2.3'],
      wstg: ['WSTG-SESS-01'],
      cwe: [340],
      stride: ['Spoofing', 'Information disclosure'],
    },
  },
} as const satisfies Record<string, Rule>;

/** Identifier of a rule, e.g. `COOKIE-NO-SECURE`. */
export type RuleId = keyof typeof rules;

/** The rule catalogue: every finding the auditor can report. */
export const RULES: Readonly<Record<RuleId, Rule>> = rules;

/** Links for the mapped standards, for reports. */
export function cweUrl(cwe: number): string {
  return `https://cwe.mitre.org/data/definitions/${cwe}.html`;
}

/** The OWASP Web Security Testing Guide page of a WSTG id (e.g. WSTG-SESS-03). */
export function wstgUrl(id: string): string {
  const pages: Record<string, string> = {
    'WSTG-SESS-01': '01-Testing_for_Session_Management_Schema',
    'WSTG-SESS-02': '02-Testing_for_Cookies_Attributes',
    'WSTG-SESS-03': '03-Testing_for_Session_Fixation',
    'WSTG-SESS-04': '04-Testing_for_Exposed_Session_Variables',
    'WSTG-SESS-05': '05-Testing_for_Cross_Site_Request_Forgery',
    'WSTG-SESS-06': '06-Testing_for_Logout_Functionality',
    'WSTG-SESS-07': '07-Testing_Session_Timeout',
    'WSTG-SESS-11': '11-Testing_for_Concurrent_Sessions',
  };
  const page = pages[id];
  return page
    ? `https://owasp.org/www-project-web-security-testing-guide/latest/4-Web_Application_Security_Testing/06-Session_Management_Testing/${page}`
    : 'https://owasp.org/www-project-web-security-testing-guide/';
}

/** The OWASP ASVS 5.0 document (requirement ids are anchors in its chapters). */
export function asvsUrl(_id: string): string {
  return 'https://github.com/OWASP/ASVS/tree/master/5.0/en';
}
