import { serialize } from 'cookie';
import type { ResolvedCookie } from './cookie-options.ts';

/** What the Cookie header says about the session cookie. */
export type CookieRead =
  | { kind: 'none' }
  | { kind: 'one'; value: string }
  | { kind: 'duplicate'; count: number };

/** What {@link sessionCookieValue} returns when the session cookie's name appears more than once. */
export const DUPLICATE: unique symbol = Symbol('tessera.duplicateCookie');

const MAX_HEADER = 16 * 1024;

/**
 * Finds the session cookie in a Cookie header without trusting its shape: a header too long, or
 * the name twice (cookie tossing from a sibling domain or path), counts as no session.
 */
export function readSessionCookie(header: string | string[] | null | undefined, name: string): CookieRead {
  const value = sessionCookieValue(header, name);
  if (value === null) return { kind: 'none' };
  if (value !== DUPLICATE) return { kind: 'one', value };
  const text = typeof header === 'string' ? header : (header ?? []).join('; ');
  if (text.length > MAX_HEADER) return { kind: 'duplicate', count: 0 };
  let count = 0;
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) count++;
  }
  return { kind: 'duplicate', count };
}

/**
 * {@link readSessionCookie} without allocating: the session cookie's value, null when absent, or
 * {@link DUPLICATE} when the header is too long or names the cookie twice. Runs on every request.
 */
export function sessionCookieValue(
  header: string | string[] | null | undefined,
  name: string,
): string | null | typeof DUPLICATE {
  if (!header) return null;
  const text = typeof header === 'string' ? header : header.join('; ');
  const n = text.length;
  if (n > MAX_HEADER) return DUPLICATE;
  let value: string | null = null;
  let from = 0;
  // Each occurrence of the name counts if it starts a pair (at the start or after `;`, blanks
  // allowed) and is followed by `=` (blanks allowed); anything else is part of another cookie.
  for (let at = text.indexOf(name); at !== -1; at = text.indexOf(name, from)) {
    from = at + name.length;
    let before = at - 1;
    while (before >= 0 && isBlank(text.charCodeAt(before))) before--;
    if (before >= 0 && text.charCodeAt(before) !== SEMICOLON) continue;
    let eq = from;
    while (eq < n && isBlank(text.charCodeAt(eq))) eq++;
    if (eq >= n || text.charCodeAt(eq) !== EQUALS) continue;
    if (value !== null) return DUPLICATE;
    let end = text.indexOf(';', eq + 1);
    if (end === -1) end = n;
    value = text.slice(eq + 1, end).trim();
    from = end;
  }
  if (value === null) return null;
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

const SEMICOLON = 0x3b;
const EQUALS = 0x3d;

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * A response's Set-Cookie list (as node's `getHeader` or Fastify's give it) with `serialized`
 * in place of any earlier cookie of the same name: one response never sets the session twice.
 */
export function replaceSetCookie(
  existing: string | number | readonly string[] | undefined,
  name: string,
  serialized: string,
): string[] {
  if (existing === undefined) return [serialized];
  const prefix = `${name}=`;
  const list = typeof existing === 'object' ? existing : [String(existing)];
  return [...list.filter((c) => !c.startsWith(prefix)), serialized];
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
