import * as crypto from 'node:crypto';
import { createHash, randomBytes } from 'node:crypto';

/** One-shot `crypto.hash` (Node >= 20.12) is markedly faster than `createHash` for short inputs. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string })
  .hash;

/** Bytes of CSPRNG output in a token (256 bits). */
export const TOKEN_BYTES = 32;
/** Length of a token in base64url without padding. */
export const TOKEN_LENGTH = 43;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** A new session token: 32 bytes from the OS CSPRNG, base64url (43 characters). */
export function generateToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/**
 * True when `value` has exactly the shape of a token this library issues: 43 base64url
 * characters whose last one carries only the 4 remaining bits (so each token has one spelling).
 */
export function isWellFormedToken(value: unknown): value is string {
  return typeof value === 'string' && value.length === TOKEN_LENGTH && TOKEN_PATTERN.test(value);
}

/**
 * The stored and public id of a session: SHA-256 of the token, base64url. The store never
 * holds the token itself, so a leaked database cannot be replayed.
 */
export function sessionIdFromToken(token: string): string {
  return oneShot
    ? oneShot('sha256', token, 'base64url')
    : createHash('sha256').update(token).digest('base64url');
}
