import type { EndReason } from '../store/types.ts';

interface Base {
  /** Milliseconds since the epoch, from the manager's clock. */
  at: number;
  /** The hashed session id (never the token). */
  sessionId: string | null;
  userId: string | null;
  /** Client address, when the adapter passed one. */
  ip: string | null;
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
  | (Base & { type: 'session.revoked'; reason: EndReason })
  | (Base & { type: 'session.expired'; deadline: 'idle' | 'absolute' })
  | (Base & {
      type: 'session.binding_mismatch';
      binding: 'user-agent' | 'ip-prefix';
      action: 'monitor' | 'step-up' | 'revoke';
    })
  | (Base & { type: 'session.reuse'; family: string; revoked: number })
  | (Base & {
      type: 'session.invalid_token';
      /** `retired`: a token replaced by login or a privilege change, replayed within the grace window. */
      reason: 'malformed' | 'unknown' | 'revoked' | 'duplicate' | 'retired';
    })
  | (Base & { type: 'session.rate_limited'; limit: 'create' | 'login-address' | 'login-account' })
  | (Base & { type: 'session.limit_reached'; limit: number; action: 'evict-oldest' | 'reject' })
  | (Base & { type: 'session.csrf_rejected'; reason: string });

/** The `type` of every event. */
export type SessionEventType = SessionEvent['type'];
/** The event whose `type` is `T`. */
export type SessionEventOf<T extends SessionEventType> = Extract<SessionEvent, { type: T }>;
/** A listener; exceptions it throws are caught and never break a request. */
export type SessionEventListener<T extends SessionEventType> = (event: SessionEventOf<T>) => void;

/** A tiny typed event bus. */
export class SessionEvents {
  readonly #listeners = new Map<string, Set<(e: SessionEvent) => void>>();
  readonly #onListenerError: (err: unknown) => void;

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
    return () => set.delete(fn);
  }

  /** Delivers an event to its listeners synchronously. */
  emit(event: SessionEvent): void {
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
}
