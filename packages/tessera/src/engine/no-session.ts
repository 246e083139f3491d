import { SessionExpiredError, UnauthenticatedError } from '../errors.ts';
import type { RequestContext } from './binding.ts';
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

/** Requests whose session expired during validation (what the HTTP layer's `requireAuth` reports). */
const expired = new WeakMap<RequestContext, NoSession>();

/** @internal Remembers an expiry for the request `ctx` and returns the result unchanged. */
export function rememberNoSession<R extends NoSession>(ctx: RequestContext, result: R): R {
  expired.set(ctx, result);
  return result;
}

/**
 * @internal The error for a request (by the context it was validated with) that needs a user and
 * has none: SESSION_EXPIRED when validation found its logged-in session expired, else UNAUTHENTICATED.
 */
export function requestNoSessionError(ctx: RequestContext): SessionExpiredError | UnauthenticatedError {
  return noSessionError(expired.get(ctx) ?? null);
}
