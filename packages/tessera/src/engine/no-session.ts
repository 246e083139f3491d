import { SessionExpiredError, UnauthenticatedError } from '../errors.ts';
import type { ValidateResult } from './session-manager.ts';

/** A failed {@link ValidateResult}. */
export type NoSession = Extract<ValidateResult, { ok: false }>;

/**
 * The error for a request that needs a logged-in user and has no session: `SESSION_EXPIRED`
 * ({@link SessionExpiredError}, 401) when a logged-in session has just expired, `UNAUTHENTICATED`
 * ({@link UnauthenticatedError}, 401) otherwise — a missing, unknown, ended or anonymous session
 * tells whoever presents its token nothing more.
 *
 * @example
 * const result = await sessions.validate(token, ctx);
 * if (!result.ok) throw noSessionError(result);
 */
export function noSessionError(result: NoSession | null): SessionExpiredError | UnauthenticatedError {
  if (result?.reason === 'expired' && result.authenticated) return new SessionExpiredError(result.deadline);
  return new UnauthenticatedError();
}
