import { serialize } from 'cookie';
import type { ResolvedCookie } from './cookie-options.ts';

/** What the Cookie header says about the session cookie. */
export type CookieRead =
  | { kind: 'none' }
  | { kind: 'one'; value: string }
  | { kind: 'duplicate'; count: number };

const MAX_HEADER = 16 * 1024;

/**
 * Finds the session cookie in a Cookie header without trusting its shape: a header too long,
 * or the name twice (cookie tossing from a sibling domain or path), counts as no session.
 */
export function readSessionCookie(header: string | string[] | null | undefined, name: string): CookieRead {
  if (!header) return { kind: 'none' };
  const text = Array.isArray(header) ? header.join('; ') : header;
  if (text.length > MAX_HEADER) return { kind: 'duplicate', count: 0 };
  let value: string | null = null;
  let count = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf(';', start);
    if (end === -1) end = text.length;
    const eq = text.indexOf('=', start);
    if (eq !== -1 && eq < end && text.slice(start, eq).trim() === name) {
      count++;
      value = text.slice(eq + 1, end).trim();
    }
    start = end + 1;
  }
  if (count === 0) return { kind: 'none' };
  if (count > 1) return { kind: 'duplicate', count };
  const v = value ?? '';
  return { kind: 'one', value: v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v };
}

/** The Set-Cookie value that stores `token`; `maxAgeSeconds` only for remember-me sessions. */
export function sessionCookie(c: ResolvedCookie, token: string, maxAgeSeconds?: number): string {
  return serialize(c.name, token, {
    httpOnly: true,
    secure: c.secure,
    path: '/',
    sameSite: c.sameSite,
    ...(maxAgeSeconds !== undefined ? { maxAge: Math.max(0, Math.floor(maxAgeSeconds)) } : {}),
  });
}

/** The Set-Cookie value that removes the session cookie. */
export function clearedCookie(c: ResolvedCookie): string {
  return serialize(c.name, '', {
    httpOnly: true,
    secure: c.secure,
    path: '/',
    sameSite: c.sameSite,
    maxAge: 0,
    expires: new Date(0),
  });
}
