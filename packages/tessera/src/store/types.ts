import { TesseraError } from '../errors.ts';

/**
 * The storage contract. Every store (memory, SQLite, Redis, PostgreSQL, …) implements it and
 * passes the same conformance suite (`@tessera-sessions/core/testing`).
 *
 * Promises every implementation keeps:
 * - **No usable tokens.** Stores only ever see session ids (SHA-256 of the token).
 * - **Records are values.** A store returns what was written, field for field; callers never
 *   mutate a returned record, and a store may return the same frozen object twice.
 * - **Atomicity.** `create`, `update`, `rotate`, `touch` and `delete` are each atomic in effect:
 *   `update` and `rotate` are compare-and-set on `version`, and a `rotate` that returns false has
 *   changed nothing. `touch` and `update` never resurrect a deleted record (so a logout cannot be
 *   undone by a concurrent save). Deleting writes the tombstone in the same step. `deleteByUser` and
 *   `deleteFamily` delete each record together with its tombstone atomically; a store may take the
 *   records of one call one after another (Redis Cluster does), but every matching record that
 *   existed when the call began is gone when it resolves.
 * - **Expiry.** Deadlines are the engine's business: `get` returns a record even past its
 *   deadlines (the engine checks and deletes). A store may drop records whose
 *   `min(idleExpiresAt, absoluteExpiresAt)` and tombstones whose `expiresAt` have passed
 *   (by TTL or by `sweep`); it must never drop them earlier.
 * - **Errors.** Every error a store lets out is a `TesseraError`: `create` of an existing id
 *   rejects with {@link DuplicateSessionError} (`SESSION_CONFLICT`); an operation that cannot reach
 *   its backend (refused, timed out, any driver error) rejects with `StoreUnavailableError`
 *   (`STORE_UNAVAILABLE`; the engine fails closed). The built-in stores route every method through
 *   one mapper (`stores/shared/errors.ts`).
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
   * Optional: what `get` would answer, when the store can tell synchronously (a process-local
   * cache hit), or `undefined` when only `get` can answer. For network stores with a near-cache:
   * the engine then checks a cached session without a promise hop. Throws where `get` would reject.
   */
  peekSync?(id: string): SessionRecord | null | undefined;
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
   * Deletes every record of the user except `exceptId`, writing for each the tombstone
   * {@link tombstoneFromTemplate}(record, `template`) in the same atomic step as its deletion.
   * Returns the deleted ids. The template is data (not a callback), so a store can apply it inside
   * its own atomic step: a Lua script, one SQL statement.
   */
  deleteByUser(userId: string, template: TombstoneTemplate, exceptId?: string): Promise<string[]>;
  /** Deletes every record of a rotation family, with tombstones made from `template`. Returns the deleted ids. */
  deleteFamily(family: string, template: TombstoneTemplate): Promise<string[]>;
  /** Removes up to `limit` expired records and expired tombstones; returns how many were removed. */
  sweep(now: number, limit: number): Promise<number>;
  /**
   * Optional (admin consoles): live records — both deadlines after `query.now` — matching the query,
   * most recent activity first, at most `query.limit`. Stores that cannot search leave it out.
   */
  search?(query: SessionSearch): Promise<SessionRecord[]>;
  /** Optional (dashboards): how many records are live at `now`, and how many of them have a user. */
  countLive?(now: number): Promise<SessionCounts>;
  /**
   * Optional; required by OpenID Connect back-channel logout. Every record whose `federated.iss`
   * equals `issuer` and whose `federated.sid` (or `federated.sub`) equals the one given, in any
   * order. Stores keep an index on (iss, sid) and (iss, sub) so this never scans every session.
   */
  listByFederated?(issuer: string, by: FederatedLookup): Promise<SessionRecord[]>;
  /** Releases resources the store itself opened (never the caller's client). */
  close?(): Promise<void>;
}

/** What {@link Store.search} looks for. */
export interface SessionSearch {
  /** Only records live at this time. */
  now: number;
  /** Case-insensitive substring of the user id, the first or last address, the browser, the OS or the raw User-Agent. */
  text?: string;
  /** Only records with a user. */
  authenticatedOnly?: boolean;
  /** At most this many records. */
  limit: number;
}

/** What {@link Store.countLive} answers. */
export interface SessionCounts {
  live: number;
  authenticated: number;
}

/** True when the record matches a search's text (the rule every store's `search` follows). */
export function matchesSearchText(record: SessionRecord, text: string | undefined): boolean {
  if (!text) return true;
  const needle = text.toLowerCase();
  const d = record.device;
  return [record.userId, d.firstIp, d.lastIp, d.browser, d.os, d.userAgent ?? null].some(
    (v) => v?.toLowerCase().includes(needle) === true,
  );
}

/** What {@link Store.listByFederated} looks up: the provider's session id, or its subject. */
export type FederatedLookup = { readonly sid: string } | { readonly sub: string };

/** The identity provider's view of a session, recorded at an OpenID Connect login. */
export interface FederatedIdentity {
  /** The provider's issuer identifier (`iss` of the ID token). */
  readonly iss: string;
  /** The user's subject at that provider (`sub`). */
  readonly sub: string;
  /** The provider's session id (`sid` of the ID token), when it sent one. */
  readonly sid: string | null;
}

/**
 * Device Bound Session Credentials state of a session: the public key the browser registered
 * and what the refresh protocol needs. Set by the HTTP layer's DBSC endpoints.
 */
export interface DeviceBinding {
  /** The DBSC session identifier (random; the browser sends it as `Sec-Secure-Session-Id`). */
  readonly id: string;
  /** Signature algorithm of the registered key. */
  readonly alg: 'ES256' | 'RS256';
  /** The registered public key (JWK: kty, crv/x/y or n/e only). */
  readonly jwk: Readonly<Record<string, string>>;
  /** When the key was registered (ms). */
  readonly boundAt: number;
  /** Secret the bound cookie's MAC is keyed with (base64url). */
  readonly secret: string;
  /** SHA-256 (base64url) of the one outstanding refresh challenge, or null. */
  readonly challenge: string | null;
  /** When that challenge stops being accepted (ms). */
  readonly challengeExpiresAt: number;
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
  /**
   * The raw User-Agent at creation, cut to 512 characters, for display. Attacker-controlled text:
   * escape it wherever it is shown. Absent in records written before it existed.
   */
  userAgent?: string | null;
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
  /** Optional: the identity provider's issuer, subject and session id (OIDC logins). Absent or null otherwise. */
  readonly federated?: FederatedIdentity | null;
  /** Optional: the device-bound (DBSC) key and refresh state. Absent or null when the session is not bound. */
  readonly deviceBinding?: DeviceBinding | null;
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

/**
 * How a bulk delete (`deleteByUser`, `deleteFamily`) makes each deleted record's tombstone. For a
 * record `r` the tombstone is `{ id: r.id, family: r.family, userId: r.userId, reason,
 * successorId: null, createdAt, expiresAt: max(r.absoluteExpiresAt, keepUntil) + extendMs }`
 * (see {@link tombstoneFromTemplate}; a store may compute the same in Lua or SQL).
 */
export interface TombstoneTemplate {
  readonly reason: EndReason;
  readonly createdAt: number;
  /** The tombstone outlives the record's absolute deadline, and this instant, … */
  readonly keepUntil: number;
  /** … by this many milliseconds. */
  readonly extendMs: number;
}

/** The tombstone a bulk delete writes for `record` (the formula of {@link TombstoneTemplate}). */
export function tombstoneFromTemplate(
  record: Pick<SessionRecord, 'id' | 'family' | 'userId' | 'absoluteExpiresAt'>,
  template: TombstoneTemplate,
): Tombstone {
  return {
    id: record.id,
    family: record.family,
    userId: record.userId,
    reason: template.reason,
    successorId: null,
    createdAt: template.createdAt,
    expiresAt: Math.max(record.absoluteExpiresAt, template.keepUntil) + template.extendMs,
  };
}

/**
 * Thrown by `Store.create` when the id already exists: a `TesseraError` with code
 * `SESSION_CONFLICT` (409), like every error a store lets out (see `stores/shared/errors.ts`).
 */
export class DuplicateSessionError extends TesseraError {
  override readonly name = 'DuplicateSessionError';
  constructor() {
    super('SESSION_CONFLICT', 'A session with this id already exists.');
  }
}

/** The earliest of a record's two deadlines. */
export function recordExpiresAt(record: Pick<SessionRecord, 'idleExpiresAt' | 'absoluteExpiresAt'>): number {
  return Math.min(record.idleExpiresAt, record.absoluteExpiresAt);
}
