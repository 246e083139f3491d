/**
 * The short-lived cookie a DBSC browser must keep fresh by proving possession of its key. Its value
 * is stateless: when it was issued and an HMAC over that and the DBSC session id, keyed with the
 * session's own binding secret, so it cannot be forged, moved to another session or extended.
 * @internal
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { DeviceBinding } from '../../store/types.ts';

function mac(binding: Pick<DeviceBinding, 'id' | 'secret'>, issuedAt: number): string {
  return createHmac('sha256', Buffer.from(binding.secret, 'base64url'))
    .update(`tessera-dbsc-cookie|${binding.id}|${issuedAt}`)
    .digest('base64url');
}

/** A bound-cookie value issued at `issuedAt` (ms). */
export function boundCookieValue(binding: Pick<DeviceBinding, 'id' | 'secret'>, issuedAt: number): string {
  return `${issuedAt.toString(36)}.${mac(binding, issuedAt)}`;
}

const SHAPE = /^([0-9a-z]{1,11})\.([A-Za-z0-9_-]{43})$/;

/**
 * When the bound cookie was issued, if `value` is genuine for this binding and still within
 * `lifetime + leeway` of its issue; otherwise null.
 */
export function readBoundCookie(
  binding: Pick<DeviceBinding, 'id' | 'secret'>,
  value: string | null,
  now: number,
  lifetime: number,
  leeway: number,
): number | null {
  if (value === null) return null;
  const m = SHAPE.exec(value);
  if (!m) return null;
  const issuedAt = Number.parseInt(m[1]!, 36);
  if (!Number.isSafeInteger(issuedAt) || issuedAt > now + leeway || now > issuedAt + lifetime + leeway)
    return null;
  const expected = Buffer.from(mac(binding, issuedAt));
  const given = Buffer.from(m[2]!);
  return given.length === expected.length && timingSafeEqual(given, expected) ? issuedAt : null;
}
