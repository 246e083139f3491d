import { randomBytes } from 'node:crypto';
import { ConfigError } from '../errors.ts';

/** One data-encryption key with its id. */
export interface KeyEntry {
  /** Short id stored in each envelope (letters, digits, `_`, `-`; at most 16). */
  id: string;
  /** 32 bytes for AES-256-GCM, as a Buffer or base64/base64url text. */
  key: Uint8Array | string;
}

/** Keys for session data: the first is current (new writes), the rest still open old envelopes. */
export interface KeyRing {
  readonly current: { id: string; key: Buffer };
  get(id: string): Buffer | undefined;
  readonly ids: readonly string[];
  /** True when the ring was generated for development and is lost on restart. */
  readonly ephemeral: boolean;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,16}$/;

function toKey(input: Uint8Array | string, field: string): Buffer {
  const buf = typeof input === 'string' ? Buffer.from(input, 'base64') : Buffer.from(input);
  if (buf.length !== 32) throw new ConfigError(field, `must be 32 bytes (AES-256); got ${buf.length}.`);
  return buf;
}

/** Builds a key ring from entries; the first entry is the current key. */
export function createKeyRing(entries: readonly KeyEntry[], field = 'keys'): KeyRing {
  if (entries.length === 0) throw new ConfigError(field, 'needs at least one key.');
  const map = new Map<string, Buffer>();
  entries.forEach((e, i) => {
    if (!KEY_ID.test(e.id))
      throw new ConfigError(`${field}[${i}].id`, 'must be 1-16 characters of [A-Za-z0-9_-].');
    if (map.has(e.id)) throw new ConfigError(`${field}[${i}].id`, `duplicate key id '${e.id}'.`);
    map.set(e.id, toKey(e.key, `${field}[${i}].key`));
  });
  const first = entries[0]!;
  return {
    current: { id: first.id, key: map.get(first.id)! },
    get: (id) => map.get(id),
    ids: [...map.keys()],
    ephemeral: false,
  };
}

/**
 * Parses `id:base64key,id:base64key` (as in the `TESSERA_KEYS` environment variable),
 * current key first.
 */
export function parseKeyRing(text: string, field = 'TESSERA_KEYS'): KeyRing {
  const entries = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part, i) => {
      const at = part.indexOf(':');
      if (at <= 0) throw new ConfigError(`${field}[${i}]`, "expected 'id:base64key'.");
      return { id: part.slice(0, at), key: part.slice(at + 1) };
    });
  return createKeyRing(entries, field);
}

/** A one-off random key for development; envelopes sealed with it cannot be opened after a restart. */
export function ephemeralKeyRing(): KeyRing {
  const ring = createKeyRing([{ id: 'dev', key: randomBytes(32) }]);
  return { ...ring, ephemeral: true };
}
