import { InvalidArgumentError } from '../errors.ts';
import type { SessionDevice, SessionRecord } from '../store/types.ts';

/**
 * A validated session as the application sees it. It holds no token and no plaintext data;
 * read data with `manager.readData(session)`. Values are a snapshot of the request's start.
 */
export interface Session {
  /** The public session id (SHA-256 of the token, base64url). Safe to log and show. */
  readonly id: string;
  readonly userId: string | null;
  /** True once a user has logged in on this session. */
  readonly authenticated: boolean;
  readonly authLevel: number;
  readonly authenticatedAt: number | null;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly idleExpiresAt: number;
  readonly absoluteExpiresAt: number;
  readonly rotatedAt: number;
  readonly rememberMe: boolean;
  /** A binding policy asked for re-authentication before sensitive actions. */
  readonly stepUpRequired: boolean;
  /** A browser key is registered for this session (Device Bound Session Credentials). */
  readonly deviceBound: boolean;
  readonly device: Readonly<SessionDevice>;
}

/**
 * The engine's implementation of {@link Session}: a plain object whose record is a private field.
 * (A private field is an order of magnitude cheaper per request than a WeakMap entry, and it is
 * just as unreachable from outside.)
 */
class SessionView implements Session {
  readonly id: string;
  readonly userId: string | null;
  readonly authenticated: boolean;
  readonly authLevel: number;
  readonly authenticatedAt: number | null;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly idleExpiresAt: number;
  readonly absoluteExpiresAt: number;
  readonly rotatedAt: number;
  readonly rememberMe: boolean;
  readonly stepUpRequired: boolean;
  readonly deviceBound: boolean;
  readonly device: Readonly<SessionDevice>;
  readonly #record: SessionRecord;

  constructor(record: SessionRecord) {
    this.id = record.id;
    this.userId = record.userId;
    this.authenticated = record.userId !== null;
    this.authLevel = record.authLevel;
    this.authenticatedAt = record.authenticatedAt;
    this.createdAt = record.createdAt;
    this.lastSeenAt = record.lastSeenAt;
    this.idleExpiresAt = record.idleExpiresAt;
    this.absoluteExpiresAt = record.absoluteExpiresAt;
    this.rotatedAt = record.rotatedAt;
    this.rememberMe = record.rememberMe;
    this.stepUpRequired = record.stepUpRequired;
    this.deviceBound = record.deviceBinding != null;
    this.device = record.device;
    this.#record = record;
    // Not frozen (freezing costs more than the rest of a validation): the engine reads only the
    // private record, so writing to a view's fields changes nothing anywhere.
  }

  static recordOf(session: object): SessionRecord | undefined {
    return #record in session ? (session as SessionView).#record : undefined;
  }
}

/** The public view of a record; the record stays reachable only to the engine. */
export function toSession(record: SessionRecord): Session {
  return new SessionView(record);
}

/** The record behind a session made by {@link toSession}. */
export function recordOf(session: Session): SessionRecord {
  const r = typeof session === 'object' && session !== null ? SessionView.recordOf(session) : undefined;
  if (!r) throw new InvalidArgumentError('session', 'not a session issued by this Tessera engine.');
  return r;
}
