/**
 * The adapter contract: what a framework adapter (Tessera's four, or a third party's) builds on.
 * The adapter maps its framework's request to a {@link RequestInfo} and its response to a
 * {@link ResponseSink}; the {@link SessionHandler} does the rest — validation, the CSRF check
 * before and after body parsing, `requireAuth`/`requireFresh`, error rendering, logging.
 * See docs/adapters.md for the walk-through and the conformance suite.
 * @module
 */
import type { Duration } from '../duration.ts';
import { parseDuration } from '../duration.ts';
import type { SessionManager } from '../engine/session-manager.ts';
import type { OptionCheck } from './adapter-options.ts';
import { HANDLER_OPTION_KEYS, validateAdapterOptions } from './adapter-options.ts';
import type { RequestSession } from './request-session.ts';
import type { SessionHandlerOptions } from './session-handler.ts';
import { SessionHandler } from './session-handler.ts';

/**
 * The options every adapter takes, with the same names and meaning everywhere. `Req` is the
 * framework's request (Express `Request`, Fastify `FastifyRequest`, Hono `Context`, node's
 * `IncomingMessage`).
 */
export interface AdapterOptions<Req> extends SessionHandlerOptions {
  /** The client's address for a request (binding policy, rate limits, events); see each adapter's default. */
  clientIp?: (req: Req) => string | null | undefined;
}

/**
 * Validates an adapter's options (shared keys plus the adapter's own, checked by `extra`) and
 * creates the handler from the shared ones. Throws `ConfigError` (CONFIG_INVALID) naming an unknown
 * key or a value of the wrong type.
 *
 * @example
 * const handler = createAdapterHandler(manager, options, { userIdFrom: optionChecks.function });
 */
export function createAdapterHandler(
  manager: SessionManager,
  options: object = {},
  extra: Record<string, OptionCheck> = {},
): SessionHandler {
  validateAdapterOptions(options, extra);
  const shared: Record<string, unknown> = {};
  for (const key of HANDLER_OPTION_KEYS) {
    const v = (options as Record<string, unknown>)[key];
    if (v !== undefined) shared[key] = v;
  }
  return new SessionHandler(manager, shared as SessionHandlerOptions);
}

/** A route guard: throws a Tessera error (rendered by the adapter) when the session may not pass. */
export type SessionGuard = (session: RequestSession) => void;

const auth: SessionGuard = (session) => {
  session.requireAuth();
};

/** Guard: a user is logged in (401 UNAUTHENTICATED, SESSION_EXPIRED after an expiry, or a login redirect). */
export function authGuard(): SessionGuard {
  return auth;
}

/**
 * Guard: the user authenticated within `maxAge` (`'5m'` or milliseconds; default the manager's
 * `stepUpMaxAge`), else 401 REAUTH_REQUIRED. The duration is parsed once, here.
 */
export function freshGuard(maxAge?: Duration): SessionGuard {
  const ms = maxAge === undefined ? undefined : parseDuration(maxAge, 'requireFresh(maxAge)');
  return (session) => session.requireFresh(ms);
}

/** Guard: the session is device-bound (DBSC) with a key proof no older than `maxAge`. */
export function deviceBoundGuard(maxAge?: Duration): SessionGuard {
  const ms = maxAge === undefined ? undefined : parseDuration(maxAge, 'requireDeviceBound(maxAge)');
  return (session) => {
    session.requireDeviceBound(ms);
  };
}
