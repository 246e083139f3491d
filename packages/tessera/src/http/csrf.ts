/** Options of the CSRF guard. */
export interface CsrfOptions {
  /** Origins allowed to send unsafe requests besides the request's own (e.g. `https://admin.example`). */
  allowedOrigins?: readonly string[];
  /** Accept `Sec-Fetch-Site: same-site` (sibling subdomains). Default false. */
  allowSameSite?: boolean;
  /** Header carrying the synchronizer token. Default `x-csrf-token`. */
  headerName?: string;
  /** Form field carrying the synchronizer token. Default `_csrf`. */
  fieldName?: string;
  /**
   * Who runs the check on unsafe methods. `'auto'` (default): the adapter, before the route (see
   * docs/adapters.md for when relative to body parsing). `'manual'`: nobody until the app calls
   * `session.verifyCsrf(formToken)` itself — the guard still issues and checks tokens.
   */
  check?: 'auto' | 'manual';
}

/** What the guard needs to know of a request. */
export interface CsrfRequest {
  method: string;
  /** Lower-case header lookup. */
  header(name: string): string | undefined;
  /** The request's own origin (`https://host:port`), as seen by the app. */
  selfOrigin: string | null;
  /** The synchronizer token from the header or form field, if any. */
  token: string | undefined;
}

/** The guard's verdict: pass, need a valid synchronizer token, or refuse with a reason. */
export type CsrfVerdict =
  | { ok: true; needsToken: false }
  | { ok: true; needsToken: true }
  | { ok: false; reason: string };

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** True for methods that must not change state. */
export function isSafeMethod(method: string): boolean {
  // Servers hand over upper-case methods; only fall back to case folding for anything else.
  return SAFE.has(method) || SAFE.has(method.toUpperCase());
}

/**
 * Fetch-metadata and Origin checks for unsafe methods. Where the browser sent neither header, the
 * verdict asks for the synchronizer token instead.
 */
export function checkCsrfHeaders(req: CsrfRequest, options: CsrfOptions = {}): CsrfVerdict {
  if (isSafeMethod(req.method)) return { ok: true, needsToken: false };
  const site = req.header('sec-fetch-site');
  const origin = req.header('origin');
  if (site !== undefined) {
    if (site === 'cross-site') return { ok: false, reason: 'Sec-Fetch-Site is cross-site' };
    if (site === 'same-site' && !options.allowSameSite)
      return { ok: false, reason: 'Sec-Fetch-Site is same-site' };
    if (site !== 'same-origin' && site !== 'same-site' && site !== 'none')
      return { ok: false, reason: 'unknown Sec-Fetch-Site' };
  }
  if (origin !== undefined) {
    const allowed =
      origin !== 'null' && (origin === req.selfOrigin || (options.allowedOrigins ?? []).includes(origin));
    if (!allowed) return { ok: false, reason: 'Origin is not allowed' };
  }
  if (site === undefined && origin === undefined) return { ok: true, needsToken: true };
  return { ok: true, needsToken: false };
}
