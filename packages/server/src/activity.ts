/**
 * What the console's dashboard and the `/v1/events` endpoint show until the hash-chained audit
 * log takes over: the engine's recent events (no tokens, no data — events never carry them) in a
 * bounded ring, and per-minute counts of logins, revocations and suspicious events for the charts.
 */
import type { SessionEvent, SessionManager } from '@tessera-sessions/core';

/** One minute of counts. */
export interface MinuteCounts {
  /** Start of the minute (ms since the epoch). */
  at: number;
  logins: number;
  revocations: number;
  detections: number;
}

/** Events that a person should look at. */
export const DETECTION_TYPES = new Set<SessionEvent['type']>([
  'session.reuse',
  'session.binding_mismatch',
  'session.csrf_rejected',
  'session.rate_limited',
  'session.limit_reached',
]);

/** Recent events and per-minute counts, fed by one or more managers' event buses. */
export class Activity {
  readonly #events: Array<SessionEvent & { source: string }> = [];
  readonly #minutes = new Map<number, MinuteCounts>();
  readonly #capacity: number;

  constructor(capacity = 1000) {
    this.#capacity = capacity;
  }

  /** Subscribes to a manager; `source` names it (`sessions`, `admin`). Returns the unsubscribe function. */
  follow(manager: SessionManager, source: string): () => void {
    return manager.events.on('*', (e) => this.record(e, source));
  }

  /** Records one event. */
  record(event: SessionEvent, source: string): void {
    this.#events.push({ ...event, source });
    if (this.#events.length > this.#capacity) this.#events.shift();
    if (source !== 'sessions') return;
    const minute = Math.floor(event.at / 60_000) * 60_000;
    let m = this.#minutes.get(minute);
    if (!m) {
      m = { at: minute, logins: 0, revocations: 0, detections: 0 };
      this.#minutes.set(minute, m);
      for (const k of this.#minutes.keys()) if (k < minute - 24 * 3_600_000) this.#minutes.delete(k);
    }
    if (event.type === 'session.authenticated') m.logins++;
    else if (event.type === 'session.revoked' && !event.reason.startsWith('rotated')) m.revocations++;
    if (DETECTION_TYPES.has(event.type)) m.detections++;
  }

  /** The newest events first, optionally only detections or one user's. */
  recent(options: { limit?: number; detectionsOnly?: boolean; userId?: string } = {}) {
    const out: Array<SessionEvent & { source: string }> = [];
    for (let i = this.#events.length - 1; i >= 0 && out.length < (options.limit ?? 100); i--) {
      const e = this.#events[i]!;
      if (options.detectionsOnly && !DETECTION_TYPES.has(e.type)) continue;
      if (options.userId !== undefined && e.userId !== options.userId) continue;
      out.push(e);
    }
    return out;
  }

  /** Counts for each of the last `minutes` minutes up to `now`, oldest first (zeros included). */
  series(now: number, minutes = 60): MinuteCounts[] {
    const last = Math.floor(now / 60_000) * 60_000;
    const out: MinuteCounts[] = [];
    for (let at = last - (minutes - 1) * 60_000; at <= last; at += 60_000)
      out.push(this.#minutes.get(at) ?? { at, logins: 0, revocations: 0, detections: 0 });
    return out;
  }
}
