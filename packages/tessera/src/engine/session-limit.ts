import { SessionLimitError } from '../errors.ts';
import type { SessionRecord } from '../store/types.ts';
import type { RequestContext } from './binding.ts';
import type { Publish } from './internal.ts';

/** What the per-user limit needs from the engine. */
export interface SessionLimitDeps {
  /** `maxSessionsPerUser` (Infinity: no limit). */
  readonly max: number;
  /** `onSessionLimit`. */
  readonly policy: 'evict-oldest' | 'reject';
  /** The user's live sessions. */
  list(userId: string): Promise<SessionRecord[]>;
  /** Ends a session the limit pushed out (deleted, tombstoned as `evicted`). */
  evict(record: SessionRecord): Promise<void>;
  readonly publish: Publish;
}

/**
 * The per-user session limit (`maxSessionsPerUser`, `onSessionLimit`), applied before a login's
 * write (`own` null: room for one more is needed) and again after it (`own` is the new record),
 * which closes the race a check-then-write leaves open: logins running at once can each see room
 * for one more. Sessions are ranked by creation (then id) — the same order in every racing login —
 * so all of them agree on who stays: under `evict-oldest` the newest, and the others are evicted;
 * under `reject` existing sessions are never touched and a login that finds the user over the limit
 * undoes itself. A login whose own session does not stay throws SESSION_LIMIT_REACHED. The last
 * login to look sees every session written before it, so the limit holds once the race is over;
 * under `reject` a race may refuse more logins than strictly needed, never fewer.
 * @internal
 */
export async function enforceSessionLimit(
  deps: SessionLimitDeps,
  userId: string,
  ctx: RequestContext,
  own: SessionRecord | null = null,
): Promise<void> {
  const { max, policy } = deps;
  if (!Number.isFinite(max)) return;
  const keep = own ? max : max - 1;
  const live = await deps.list(userId);
  if (live.length <= keep) return;
  deps.publish('session.limit_reached', { id: null, userId }, ctx, { limit: max, action: policy });
  let ownStays = false;
  if (policy === 'evict-oldest') {
    live.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const newest = live.slice(live.length - keep);
    ownStays = own !== null && newest.some((r) => r.id === own.id);
    for (const victim of live) {
      if (victim.id === own?.id || newest.includes(victim)) continue;
      await deps.evict(victim);
      deps.publish('session.revoked', victim, ctx, { reason: 'evicted', actor: 'system' });
    }
    if (!own) return;
  }
  if (own && !ownStays) await deps.evict(own);
  if (!ownStays) throw new SessionLimitError(max);
}
