import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SessionDataInvalidError } from '../errors.ts';
import type { KeyRing } from './keyring.ts';

const VERSION = 'v1';
const PREFIX = `${VERSION}.`;
const IV_BYTES = 12;
const TAG_BYTES = 16;

function aad(sessionId: string, keyId: string): Buffer {
  return Buffer.from(`tessera:${VERSION}:${keyId}:${sessionId}`, 'utf8');
}

/**
 * Seals `plaintext` with AES-256-GCM under the ring's current key. The additional data binds
 * the envelope to `bindTo` (the session id; rotation re-seals) and to the key id,
 * so an envelope copied into another session does not open.
 * Format: `v1.<keyId>.<iv>.<ciphertext+tag>` (base64url parts).
 */
export function seal(plaintext: string, bindTo: string, ring: KeyRing): string {
  const { id, key } = ring.current;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(bindTo, id));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${id}.${iv.toString('base64url')}.${body.toString('base64url')}`;
}

/** Opens an envelope made by {@link seal}; throws {@link SessionDataInvalidError} if it was altered, swapped or its key is unknown. */
export function open(envelope: string, bindTo: string, ring: KeyRing): string {
  const parts = envelope.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION)
    throw new SessionDataInvalidError('unknown envelope format');
  const [, keyId, ivText, bodyText] = parts as [string, string, string, string];
  const key = ring.get(keyId);
  if (!key) throw new SessionDataInvalidError('its key is not in the key ring');
  const iv = Buffer.from(ivText, 'base64url');
  const body = Buffer.from(bodyText, 'base64url');
  if (iv.length !== IV_BYTES || body.length < TAG_BYTES)
    throw new SessionDataInvalidError('truncated envelope');
  // Buffer.from() skips characters outside the alphabet and ignores the spare bits of the last one;
  // insist on the one canonical spelling so that no altered envelope is accepted.
  if (iv.toString('base64url') !== ivText || body.toString('base64url') !== bodyText) {
    throw new SessionDataInvalidError('non-canonical envelope encoding');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(bindTo, keyId));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(body.subarray(0, body.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch (cause) {
    throw new SessionDataInvalidError('authentication failed (tampered, swapped or wrong key)', { cause });
  }
}

/** The id of the key an envelope was sealed with, or undefined if it is not an envelope. */
export function envelopeKeyId(envelope: string): string | undefined {
  // Runs on every request of a session with data: found by index, without splitting the
  // ciphertext into an array. Same rule as before: `v1.<key>.<part>.<part>`, exactly three dots.
  if (!envelope.startsWith(PREFIX)) return undefined;
  const keyEnd = envelope.indexOf('.', PREFIX.length);
  if (keyEnd < 0) return undefined;
  const third = envelope.indexOf('.', keyEnd + 1);
  if (third < 0 || envelope.indexOf('.', third + 1) >= 0) return undefined;
  return envelope.slice(PREFIX.length, keyEnd);
}
