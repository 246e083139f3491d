import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KeyRing } from '../crypto/keyring.ts';

/**
 * Synchronizer CSRF tokens bound to one session. The store keeps `csrfSecret` as
 * `k1.<keyId>.<salt>`, which is not a secret: the session's CSRF key is derived from it with the
 * data key `keyId` (HMAC), so a copy of the database alone cannot forge CSRF tokens. A token is a
 * fresh random salt and its HMAC under that key.
 * @internal
 */
export class CsrfTokens {
  readonly #keys: KeyRing;

  constructor(keys: KeyRing) {
    this.#keys = keys;
  }

  /** What a new session stores as `csrfSecret`. */
  newSecret(): string {
    return `k1.${this.#keys.current.id}.${randomBytes(32).toString('base64url')}`;
  }

  /** A token for forms and headers. */
  token(csrfSecret: string): string {
    const salt = randomBytes(16).toString('base64url');
    return `${salt}.${this.#mac(csrfSecret, salt)}`;
  }

  /** True when `token` was made by {@link token} for this secret (constant-time comparison). */
  verify(csrfSecret: string, token: unknown): boolean {
    if (typeof token !== 'string') return false;
    const dot = token.indexOf('.');
    if (dot !== 22 || token.length !== 66) return false;
    const expected = Buffer.from(this.#mac(csrfSecret, token.slice(0, dot)));
    const given = Buffer.from(token.slice(dot + 1));
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  #mac(csrfSecret: string, salt: string): string {
    return createHmac('sha256', this.#key(csrfSecret)).update(`csrf:${salt}`).digest('base64url');
  }

  #key(stored: string): Buffer {
    if (!stored.startsWith('k1.')) return Buffer.from(stored, 'base64url'); // records from before derivation
    const dot = stored.lastIndexOf('.');
    const key = this.#keys.get(stored.slice(3, dot));
    // The key left the ring: no token verifies (the form is reloaded with a fresh session).
    if (!key) return randomBytes(32);
    return createHmac('sha256', key)
      .update(`tessera:csrf:${stored.slice(dot + 1)}`)
      .digest();
  }
}
