/**
 * DBSC challenges. A registration challenge is offered with the login response and checked without
 * a store read: its expiry and an HMAC under the session's CSRF secret (which changes at every
 * login), so it works only for the session it was offered to and only for a few minutes; once the
 * session is bound, no second registration is accepted. A refresh challenge is random, and only its
 * hash is kept in the session record; consuming it is a compare-and-set, so each is used once.
 * @internal
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

function registrationMac(csrfSecret: string, expiresAt: number, nonce: string): string {
  return createHmac('sha256', Buffer.from(csrfSecret, 'base64url'))
    .update(`tessera-dbsc-registration|${expiresAt}|${nonce}`)
    .digest('base64url');
}

/** A registration challenge for the session whose CSRF secret is given, valid until `expiresAt`. */
export function registrationChallenge(csrfSecret: string, expiresAt: number): string {
  const nonce = randomBytes(16).toString('base64url');
  return `${expiresAt.toString(36)}.${nonce}.${registrationMac(csrfSecret, expiresAt, nonce)}`;
}

const REGISTRATION = /^([0-9a-z]{1,11})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/** Why a registration challenge is refused, or null when it is good. */
export function checkRegistrationChallenge(
  csrfSecret: string,
  challenge: unknown,
  now: number,
): 'malformed' | 'expired' | 'foreign' | null {
  if (typeof challenge !== 'string') return 'malformed';
  const m = REGISTRATION.exec(challenge);
  if (!m) return 'malformed';
  const expiresAt = Number.parseInt(m[1]!, 36);
  const expected = Buffer.from(registrationMac(csrfSecret, expiresAt, m[2]!));
  const given = Buffer.from(m[3]!);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'foreign';
  return now < expiresAt ? null : 'expired';
}

/** A fresh random refresh challenge. */
export function refreshChallenge(): string {
  return randomBytes(32).toString('base64url');
}

/** What the record keeps of a refresh challenge. */
export function challengeHash(challenge: string): string {
  return createHash('sha256').update(challenge).digest('base64url');
}
