/** Small helpers for HTML form handling. */
import type { Context } from 'hono';

/** The string fields of an urlencoded or multipart form (files and repeated fields ignored). */
export async function formFields(c: Context): Promise<Record<string, string>> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data'))
    return {};
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** A same-site path to return to after a login, or null (no `//host`, no scheme, no backslash). */
export function safeNext(v: unknown): string | null {
  if (typeof v !== 'string' || v.length > 200) return null;
  return /^\/(?![/\\])[A-Za-z0-9/_\-.?=&%]*$/.test(v) ? v : null;
}

/** The client address on @hono/node-server. */
export function clientAddress(c: Context): string | null {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: unknown } } } | undefined)?.incoming;
  const a = incoming?.socket?.remoteAddress;
  return typeof a === 'string' ? a : null;
}

/** Human-readable relative time ("3 min ago"). */
export function ago(at: number, now: number): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

/** Time until a deadline ("in 29 min"). */
export function until(at: number, now: number): string {
  const s = Math.max(0, Math.round((at - now) / 1000));
  if (s < 60) return `in ${s} s`;
  if (s < 3600) return `in ${Math.round(s / 60)} min`;
  if (s < 86_400) return `in ${Math.round(s / 3600)} h`;
  return `in ${Math.round(s / 86_400)} d`;
}
