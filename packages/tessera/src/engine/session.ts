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
  readonly device: Readonly<SessionDevice>;
}

const records = new WeakMap<Session, SessionRecord>();

/** The public view of a record; the record stays reachable only to the engine. */
export function toSession(record: SessionRecord): Session {
  const s: Session = Object.freeze({
    id: record.id,
    userId: record.userId,
    authenticated: record.userId !== null,
    authLevel: record.authLevel,
    authenticatedAt: record.authenticatedAt,
    createdAt: record.createdAt,
    lastSeenAt: record.lastSeenAt,
    idleExpiresAt: record.idleExpiresAt,
    absoluteExpiresAt: record.absoluteExpiresAt,
    rotatedAt: record.rotatedAt,
    rememberMe: record.rememberMe,
    stepUpRequired: record.stepUpRequired,
    device: record.device,
  });
  records.set(s, record);
  return s;
}

/** The record behind a session made by {@link toSession}. */
export function recordOf(session: Session): SessionRecord {
  const r = records.get(session);
  if (!r) throw new TypeError('Not a session issued by this Tessera engine.');
  return r;
}
