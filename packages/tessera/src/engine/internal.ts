/**
 * Package-private entry points shared by the engine and the HTTP layer. They are symbols or plain
 * functions of this module, so they stay off the documented surface; nothing here is exported
 * from any package entry point.
 * @internal
 */
import type { RequestContext } from './binding.ts';
import type { SessionEvent, SessionEventType } from './events.ts';
import { deliver } from './events.ts';
import type { SessionManager } from './session-manager.ts';

/**
 * Publishes an event on `manager.events`. The only way to emit: the manager has no public `emit`
 * and its event bus no public publish method, so application code and plug-ins can listen but
 * cannot forge an event (a fake `session.reuse` would make a detector revoke a user's sessions).
 * The HTTP layer (CSRF rejections, duplicate cookies, DBSC), the OIDC receiver and the detector
 * publish through here.
 */
export function emitEvent(manager: SessionManager, event: SessionEvent): void {
  deliver(manager.events, event);
}

/** The fields of event `T` that its publisher supplies (the rest come from the subject and the request). */
export type EventFields<T extends SessionEventType> = Omit<
  Extract<SessionEvent, { type: T }>,
  'type' | 'at' | 'sessionId' | 'userId' | 'ip' | 'userAgent'
>;

/** How the engine's parts publish: event type, the session it concerns (or none), the request, the rest. */
export type Publish = <T extends SessionEventType>(
  type: T,
  subject: { id: string | null; userId: string | null } | null,
  ctx: RequestContext,
  extra: EventFields<T>,
) => void;

/**
 * `SessionManager[validateNow](token, ctx)`: `validate` that answers synchronously when the store
 * can (`Store.getSync`) and nothing needs writing, and with a promise otherwise. The HTTP layer
 * uses it to check a request without a promise hop.
 */
export const validateNow: unique symbol = Symbol('tessera.validateNow');

/**
 * `SessionManager[patchRecord](session, change)`: a compare-and-set update of engine-owned record
 * fields (the DBSC device binding), re-run on conflict against the live record; `change` returns
 * null to give up. Resolves to the updated session, or null when the session is gone or `change` gave up.
 */
export const patchRecord: unique symbol = Symbol('tessera.patchRecord');

/** `SessionManager[revokeFamily](session, reason, ctx)`: ends the session's whole rotation family. */
export const revokeFamily: unique symbol = Symbol('tessera.revokeFamily');
