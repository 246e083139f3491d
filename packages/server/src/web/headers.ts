/**
 * Security headers for every page of the service: a strict Content-Security-Policy (scripts and
 * styles only from the service itself, no inline script, no framing), no MIME sniffing, no referrer
 * leaving the origin.
 */
import type { MiddlewareHandler } from 'hono';

/** The policy every HTML page is served with. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Adds the security headers to every response that does not set them itself. */
export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    const set = (k: string, v: string) => {
      if (!h.has(k)) h.set(k, v);
    };
    try {
      set('content-security-policy', CONTENT_SECURITY_POLICY);
      set('x-frame-options', 'DENY');
      set('x-content-type-options', 'nosniff');
      set('referrer-policy', 'same-origin');
      set('cross-origin-opener-policy', 'same-origin');
      set('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    } catch {
      // immutable headers (a fetched response): leave them
    }
  };
}
