import { envelopeKeyId, open, seal } from '../crypto/envelope.ts';
import type { KeyRing } from '../crypto/keyring.ts';
import { SessionDataInvalidError, SessionDataTooLargeError } from '../errors.ts';
import type { SessionRecord } from '../store/types.ts';

/**
 * Session data at rest: JSON sealed with AES-256-GCM under the current data key, bound to the
 * session id (a sealed value moved to another session does not open), and capped in size.
 * @internal
 */
export class SessionData {
  readonly #keys: KeyRing;
  readonly #maxBytes: number;

  constructor(keys: KeyRing, maxBytes: number) {
    this.#keys = keys;
    this.#maxBytes = maxBytes;
  }

  /** The envelope for `data` in session `id`; SESSION_DATA_TOO_LARGE above `maxDataBytes`. */
  seal(data: unknown, id: string): string {
    const envelope = seal(JSON.stringify(data), id, this.#keys);
    if (envelope.length > this.#maxBytes) throw new SessionDataTooLargeError(envelope.length, this.#maxBytes);
    return envelope;
  }

  /** The record's data, or undefined when it holds none; SESSION_DATA_INVALID when it does not open. */
  open(rec: Pick<SessionRecord, 'id' | 'data'>): unknown {
    return rec.data === null ? undefined : JSON.parse(open(rec.data, rec.id, this.#keys));
  }

  /** {@link open}, with data that does not open read as none. */
  openOrNothing(rec: Pick<SessionRecord, 'id' | 'data'>): unknown {
    try {
      return this.open(rec);
    } catch (err) {
      if (err instanceof SessionDataInvalidError) return undefined;
      throw err;
    }
  }

  /** True when the key that sealed this envelope is in the ring (a look-up, no decryption). */
  keyKnown(envelope: string): boolean {
    const id = envelopeKeyId(envelope);
    return id !== undefined && this.#keys.get(id) !== undefined;
  }
}
