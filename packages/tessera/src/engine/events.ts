import type { EndReason } from '../store/types.ts';

interface Base {
  /** Milliseconds since the epoch, from the manager's clock. */
  at: number;
  /** The hashed session id (never the token). */
  sessionId: string | null;
  userId: string | null;
  /** Client address, when the adapter passed one. */
  ip: string | null;
  /** Raw `User-Agent` of the request, when there was one (the engine always sets it; null outside a request). */
  userAgent?: string | null;
}

/** Who ended a session: the user (logout, "sign out" on a device), an administrator, or Tessera itself. */
export type RevokeActor = 'user' | 'admin' | 'system';

/** The other holder of a session family, as the reuse event reports it (facts for display, never a token). */
export interface ReuseHolder {
  sessionId: string;
  /** Last address the session was seen from. */
  ip: string | null;
  /** Parsed browser and OS (`Chrome 126 on Windows 10`), the agent kept for display. */
  agent: string | null;
}

/** Every event the engine (and the HTTP layer) emits. No event carries a token or session data. */
export type SessionEvent =
  | (Base & { type: 'session.created'; anonymous: boolean })
  | (Base & {
      type: 'session.authenticated';
      authLevel: number;
      rememberMe: boolean;
      previousSessionId: string | null;
    })
  | (Base & { type: 'session.rotated'; reason: 'login' | 'privilege' | 'renewal'; previousSessionId: string })
  | (Base & {
      type: 'session.revoked';
      reason: EndReason;
      /** Who ended it; absent on events from code that predates the field (read it as `system`). */
      actor?: RevokeActor;
      /** The administrator's id, when `actor` is `admin` and one was given. */
      actorId?: string | null;
    })
  | (Base & { type: 'session.expired'; deadline: 'idle' | 'absolute' })
  | (Base & { type: 'session.touched'; idleExpiresAt: number })
  | (Base & {
      type: 'session.step_up';
      /** `required`: the session must re-authenticate before sensitive actions; `completed`: it did. */
      phase: 'required' | 'completed';
      cause: 'binding' | 'detection' | 'reauthenticate';
    })
  | (Base & {
      type: 'session.binding_mismatch';
      binding: 'user-agent' | 'ip-prefix';
      action: 'monitor' | 'step-up' | 'revoke';
      /** Address the session was last seen from before this request. */
      previousIp?: string | null;
      /** When the session was last seen before this request (ms since the epoch). */
      lastSeenAt?: number;
    })
  | (Base & {
      type: 'session.reuse';
      family: string;
      revoked: number;
      /** The sessions of the family that were live when the replay came: the other party. */
      holders?: ReuseHolder[];
    })
  | (Base & {
      type: 'session.invalid_token';
      /** `retired`: a token replaced by login or a privilege change, replayed within the grace window. */
      reason: 'malformed' | 'unknown' | 'revoked' | 'duplicate' | 'retired';
    })
  | (Base & {
      type: 'session.rate_limited';
      /** Which limit refused: new sessions per address, or login attempts per address or per account. */
      limit?: 'create' | 'login-address' | 'login-account';
      /** What was refused: a new session (`create`) or a request from a throttled address (`validate`). */
      scope?: 'create' | 'validate';
    })
  | (Base & {
      type: 'session.admin_action';
      action: 'revoke' | 'revoke-all' | 'require-step-up';
      actorId: string | null;
      /** The user whose sessions were acted on, when known. */
      targetUserId: string | null;
      /** How many sessions were affected. */
      count: number;
    })
  | (Base & { type: 'session.limit_reached'; limit: number; action: 'evict-oldest' | 'reject' })
  | (Base & { type: 'session.csrf_rejected'; reason: string })
  | (Base & { type: 'session.dbsc_registered'; alg: 'ES256' | 'RS256' })
  | (Base & { type: 'session.dbsc_refreshed' })
  | (Base & {
      type: 'session.dbsc_proof_failed';
      /** Where the proof was missing or wrong. */
      stage: 'registration' | 'refresh' | 'request';
      reason: DbscFailureReason;
      /** What Tessera did: ended the rotation family, flagged the session for step-up, or refused only this request. */
      action: 'revoke' | 'step-up' | 'refuse';
    })
  | (Base & { type: 'session.dbsc_skipped'; reason: string })
  | (Base & { type: 'session.backchannel_logout'; issuer: string; revoked: number })
  | (Base & { type: 'session.backchannel_logout_rejected'; reason: string });

/** Why a DBSC proof failed (`session.dbsc_proof_failed`). */
export type DbscFailureReason =
  | 'malformed'
  | 'algorithm'
  | 'signature'
  | 'challenge'
  | 'wrong-session'
  | 'not-bound'
  | 'already-bound'
  | 'no-session'
  | 'bound-cookie-missing'
  | 'bound-cookie-invalid';

/** The `type` of every event. */
export type SessionEventType = SessionEvent['type'];
/** The event whose `type` is `T`. */
export type SessionEventOf<T extends SessionEventType> = Extract<SessionEvent, { type: T }>;
/** A listener; exceptions it throws are caught and never break a request. */
export type SessionEventListener<T extends SessionEventType> = (event: SessionEventOf<T>) => void;

/** Set by {@link SessionEvents}' static block: the one way into its private `#deliver`. */
let deliverTo: (bus: SessionEvents, event: SessionEvent) => void;

/**
 * A tiny typed event bus. Anyone may listen; only the engine (and Tessera's own layers, through
 * `emitEvent` in `engine/internal.ts`) may publish, so no caller can forge `session.reuse` or any
 * other event a detector or an audit log acts on.
 */
export class SessionEvents {
  readonly #listeners = new Map<string, Set<(e: SessionEvent) => void>>();
  readonly #onListenerError: (err: unknown) => void;

  /** @internal Made by the engine; applications use `manager.events`. */
  constructor(onListenerError: (err: unknown) => void) {
    this.#onListenerError = onListenerError;
  }

  /** Subscribes to one type, or `'*'` for all; returns an unsubscribe function. */
  on<T extends SessionEventType>(type: T, listener: SessionEventListener<T>): () => void;
  on(type: '*', listener: (event: SessionEvent) => void): () => void;
  on(type: string, listener: (event: never) => void): () => void {
    let set = this.#listeners.get(type);
    if (!set) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    const fn = listener as (e: SessionEvent) => void;
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.#listeners.get(type) === set) this.#listeners.delete(type);
    };
  }

  /** True when anyone listens (the engine skips building events otherwise). */
  get active(): boolean {
    return this.#listeners.size > 0;
  }

  /** Delivers an event to its listeners synchronously. */
  #deliver(event: SessionEvent): void {
    if (this.#listeners.size === 0) return;
    for (const key of [event.type, '*']) {
      const set = this.#listeners.get(key);
      if (!set) continue;
      for (const fn of set) {
        try {
          fn(event);
        } catch (err) {
          this.#onListenerError(err);
        }
      }
    }
  }

  static {
    deliverTo = (bus, event) => bus.#deliver(event);
  }
}

/**
 * @internal Publishes `event` on `bus`. Not exported from any entry point: only Tessera's own
 * modules publish (see `emitEvent` in `engine/internal.ts`).
 */
export function deliver(bus: SessionEvents, event: SessionEvent): void {
  deliverTo(bus, event);
}
