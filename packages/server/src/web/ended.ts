/**
 * Why a browser's session ended, for messages such as "you were signed out because your session
 * expired": when a request carries a well-formed session cookie but has no session, the tombstone
 * the engine left for that token's id says why. The token itself is never kept or shown.
 */
import { isWellFormedToken, type Store, sessionIdFromToken } from '@tessera-sessions/core';
import { readSessionCookie } from '@tessera-sessions/core/http';

/** Why a session ended, as the pages explain it. */
export type EndedReason = 'expired' | 'logout' | 'revoked' | 'revoked-all' | 'reuse' | 'binding' | 'evicted';

const KNOWN = new Set<string>(['expired', 'logout', 'revoked', 'revoked-all', 'reuse', 'binding', 'evicted']);

/** True for a reason the pages can explain. */
export function isEndedReason(v: unknown): v is EndedReason {
  return typeof v === 'string' && KNOWN.has(v);
}

/**
 * The reason the request's session cookie no longer works, or null when it carried none (or the
 * session is live). `live` is true when the request has a session.
 */
export async function endedReason(
  store: Store,
  cookieHeader: string | undefined,
  cookieName: string,
  live: boolean,
): Promise<EndedReason | null> {
  if (live || !cookieHeader) return null;
  const read = readSessionCookie(cookieHeader, cookieName);
  if (read.kind !== 'one' || !isWellFormedToken(read.value)) return null;
  try {
    const tomb = await store.getTombstone(sessionIdFromToken(read.value));
    if (!tomb) return 'expired'; // swept, or never known: treat as ended by time
    if (tomb.reason.startsWith('rotated')) return 'revoked';
    return isEndedReason(tomb.reason) ? tomb.reason : 'revoked';
  } catch {
    return null;
  }
}

/** The sentence a page shows for each reason. */
export const ENDED_MESSAGES: Readonly<Record<EndedReason, string>> = {
  expired:
    'You were signed out because your session expired (30 minutes without activity, or 12 hours after signing in).',
  logout: 'You signed out. Your session has ended on the server too.',
  revoked: 'You were signed out: this device was signed out from another device or by an administrator.',
  'revoked-all':
    'You were signed out everywhere: the password was changed, or someone chose “sign out everywhere else”.',
  reuse:
    'You were signed out for safety: the same session was used from two places at once, which suggests a stolen cookie.',
  binding: 'You were signed out because this session was suddenly used from a different browser.',
  evicted: 'You were signed out because this account signed in on too many devices.',
};
