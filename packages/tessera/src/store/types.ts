/**
 * The storage contract. Every store (memory, SQLite, Redis, PostgreSQL, …) implements it and
 * passes the same conformance suite (`@tessera-sessions/core/testing`).
 *
 * Promises every implementation keeps:
 * - **No usable tokens.** Stores only ever see session ids (SHA-256 of the token).
 * - **Records are values.** A store returns what was written, field for field; callers never
 *   mutate a returned record, and a store may return the same frozen object twice.
 * - **Atomicity.** `create`, `update`, `rotate`, `touch`, `delete`, `deleteFamily` and
 *   `deleteByUser` are each atomic. `update` and `rotate` are compare-and-set on `version`.
 *   `touch` and `update` never resurrect a deleted record (so a logout cannot be undone by a
 *   concurrent save). Deleting writes its tombstones in the same step.
 * - **Expiry.** Deadlines are the engine's business: `get` returns a record even past its
 *   deadlines (the engine checks and deletes). A store may drop records whose
 *   `min(idleExpiresAt, absoluteExpiresAt)` and tombstones whose `expiresAt` have passed
 *   (by TTL or by `sweep`); it must never drop them earlier.
 * - **Failure.** Any operation that cannot reach its backend rejects (the engine maps this to
 *   `STORE_UNAVAILABLE` and fails closed).
 */
export interface Store {
  /** Inserts a new record. Rejects with {@link DuplicateSessionError} if the id exists. */
  create(record: SessionRecord): Promise<void>;
  /** The record with this id, or null. */
  get(id: string): Promise<SessionRecord | null>;
  /**
   * Optional: the same answer as `get`, returned synchronously. Only for stores that can answer
   * without waiting on I/O (in-process memory, embedded SQLite); the engine then checks a request
   * without a promise hop. Throws where `get` would reject. Network stores leave it out.
   */
  getSync?(id: string): SessionRecord | null;
  /**
   * Replaces the record iff its stored `version` equals `expectedVersion`. `next.version` must be
   * `expectedVersion + 1`. Returns false (and changes nothing) if the record is gone or its version differs.
   */
  update(next: SessionRecord, expectedVersion: number): Promise<boolean>;
  /**
   * Sets `lastSeenAt`, `idleExpiresAt` and the device's `lastIp` without changing `version` (a touch never
   * conflicts with a data update). Returns false if the record is gone.
   */
  touch(id: string, patch: TouchPatch): Promise<boolean>;
  /**
   * Atomically: if `oldId` exists with `expectedVersion`, deletes it, writes `tombstone` for it and
   * creates `next`. Returns false (and changes nothing) otherwise.
   */
  rotate(oldId: string, expectedVersion: number, next: SessionRecord, tombstone: Tombstone): Promise<boolean>;
  /** Deletes the record and writes its tombstone. Returns false if there was no record (the tombstone is still written). */
  delete(id: string, tombstone: Tombstone): Promise<boolean>;
  /** The tombstone for a deleted or rotated-away id, or null. */
  getTombstone(id: string): Promise<Tombstone | null>;
  /** Every record of the user, in any order. */
  listByUser(userId: string): Promise<SessionRecord[]>;
  /**
   * Deletes every record of the user except `exceptId`, writing a tombstone (made by `tombstoneFor`)
   * for each. Returns the deleted ids.
   */
  deleteByUser(
    userId: string,
    tombstoneFor: (record: SessionRecord) => Tombstone,
    exceptId?: string,
  ): Promise<string[]>;
  /** Deletes every record of a rotation family, with tombstones. Returns the deleted ids. */
  deleteFamily(family: string, tombstoneFor: (record: SessionRecord) => Tombstone): Promise<string[]>;
  /** Removes up to `limit` expired records and expired tombstones; returns how many were removed. */
  sweep(now: number, limit: number): Promise<number>;
  /** Releases resources the store itself opened (never the caller's client). */
  close?(): Promise<void>;
}

/** What a touch changes. */
export interface TouchPatch {
  lastSeenAt: number;
  idleExpiresAt: number;
  lastIp: string | null;
}

/** Binding facts recorded at creation and checked on every request. */
export interface SessionBinding {
  /** Hash of the raw User-Agent header (fast equality check). */
  uaHash: string | null;
  /** Hash of the UA family (browser name + OS name); kept for display and for older records. */
  uaFamily: string | null;
  /**
   * Hash of the browser's name, without its mobile/desktop variant: what the User-Agent binding
   * compares. A browser switching modes ("Desktop site", "Request Mobile Website") changes its OS
   * and device in the UA, never its name. Absent in older records (their `uaFamily` is compared).
   */
  uaBrowser?: string | null;
  /** Network prefix of the client address (IPv4 /24, IPv6 /48 by default). */
  ipPrefix: string | null;
}

/** Device facts kept for display ("your devices"). */
export interface SessionDevice {
  browser: string | null;
  os: string | null;
  deviceType: string | null;
  firstIp: string | null;
  lastIp: string | null;
}

/** Why a session was deleted; kept in its tombstone. */
export type EndReason =
  | 'logout'
  | 'revoked'
  | 'revoked-all'
  | 'evicted'
  | 'reuse'
  | 'binding'
  | 'expired'
  /** Its data was sealed with a key no longer in the key ring (or does not open). */
  | 'unreadable'
  | 'rotated-login'
  | 'rotated-privilege'
  | 'rotated-renewal';

/** A session as a store keeps it. */
export interface SessionRecord {
  /** SHA-256 of the token, base64url. Also the public session id. */
  readonly id: string;
  readonly userId: string | null;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly idleExpiresAt: number;
  readonly absoluteExpiresAt: number;
  readonly authenticatedAt: number | null;
  readonly authLevel: number;
  readonly rotatedAt: number;
  /** Id of the first session in this rotation chain. */
  readonly family: string;
  readonly rememberMe: boolean;
  /** Set by the `step-up` binding policy; cleared by re-authentication. */
  readonly stepUpRequired: boolean;
  readonly binding: SessionBinding;
  readonly device: SessionDevice;
  /** Sealed data envelope (AES-256-GCM), or null when the session holds no data. */
  readonly data: string | null;
  /**
   * What the session's CSRF key is derived from: `k1.<keyId>.<random salt>`, combined with the data
   * key `keyId` (HMAC), so the value alone is no secret. (Older records hold a random secret.)
   */
  readonly csrfSecret: string;
  /** Incremented by every update and rotation (compare-and-set). */
  readonly version: number;
  /**
   * When the client first presented this record's token. `null`: issued by a periodic renewal and
   * not presented yet — until it is, the predecessor's token keeps working (the renewing response
   * may be slow, lost or aborted). Absent in records written before this field existed: presented.
   */
  readonly tokenSeenAt?: number | null;
}

/** What is left of a deleted or rotated-away session id. */
export interface Tombstone {
  readonly id: string;
  readonly family: string;
  readonly userId: string | null;
  readonly reason: EndReason;
  /** For rotations: the id that replaced this one. */
  readonly successorId: string | null;
  readonly createdAt: number;
  /** When the store may forget the tombstone. */
  readonly expiresAt: number;
  /** The ended record's `tokenSeenAt` (null: its token was never presented). */
  readonly tokenSeenAt?: number | null;
}

/** Thrown by `Store.create` when the id already exists. */
export class DuplicateSessionError extends Error {
  override readonly name = 'DuplicateSessionError';
  constructor() {
    super('A session with this id already exists.');
  }
}

/** The earliest of a record's two deadlines. */
export function recordExpiresAt(record: Pick<SessionRecord, 'idleExpiresAt' | 'absoluteExpiresAt'>): number {
  return Math.min(record.idleExpiresAt, record.absoluteExpiresAt);
}
