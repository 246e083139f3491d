import * as crypto from 'node:crypto';
import { createHash, randomBytes } from 'node:crypto';

/** One-shot `crypto.hash` (Node >= 20.12) is markedly faster than `createHash` for short inputs. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string })
  .hash;

/** Bytes of CSPRNG output in a token (256 bits). */
export const TOKEN_BYTES = 32;
/** Length of a token in base64url without padding. */
export const TOKEN_LENGTH = 43;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** 1 for a base64url character; 2 where it may also end a token (its low 2 bits are zero). */
const CLASS = new Uint8Array(128);
for (let i = 0; i < 64; i++) CLASS[ALPHABET.charCodeAt(i)] = i % 4 === 0 ? 2 : 1;

/** A new session token: 32 bytes from the OS CSPRNG, base64url (43 characters). */
export function generateToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/**
 * True when `value` has exactly the shape of a token this library issues: 43 base64url
 * characters whose last one carries only the 4 remaining bits (so each token has one spelling).
 */
export function isWellFormedToken(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== TOKEN_LENGTH) return false;
  // A table walk rather than a regular expression: this runs on every request.
  for (let i = 0; i < TOKEN_LENGTH - 1; i++) {
    const c = value.charCodeAt(i);
    if (c > 127 || CLASS[c] === 0) return false;
  }
  const last = value.charCodeAt(TOKEN_LENGTH - 1);
  return last < 128 && CLASS[last] === 2;
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
