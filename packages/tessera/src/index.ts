/**
 * Tessera: secure session management for TypeScript on Node.js.
 * @module
 */
export { type Clock, systemClock } from './clock.ts';
export {
  createKeyRing,
  ephemeralKeyRing,
  type KeyEntry,
  type KeyRing,
  parseKeyRing,
} from './crypto/keyring.ts';
export { generateToken, isWellFormedToken, sessionIdFromToken, TOKEN_LENGTH } from './crypto/token.ts';
export { type Duration, parseDuration } from './duration.ts';
export type { BindingAction, RequestContext } from './engine/binding.ts';
export type {
  DbscFailureReason,
  ReuseHolder,
  RevokeActor,
  SessionEvent,
  SessionEventListener,
  SessionEventOf,
  SessionEvents,
  SessionEventType,
} from './engine/events.ts';
export { type NoSession, noSessionError } from './engine/no-session.ts';
export type { Logger, SessionManagerOptions } from './engine/options.ts';
export {
  type FlexibleLimiter,
  fromRateLimiterFlexible,
  memoryRateLimiters,
  type RateLimiter,
  type RateLimiterBackend,
  type RateLimitSpec,
} from './engine/rate-limit.ts';
export type { Session } from './engine/session.ts';
export {
  createSessionManager,
  type IssuedSession,
  type LoginOptions,
  type NoSessionReason,
  SessionManager,
  type ValidateResult,
} from './engine/session-manager.ts';
export type { SweeperOptions } from './engine/sweeper.ts';
export {
  ConfigError,
  CsrfError,
  DeviceBindingRequiredError,
  DeviceProofRequiredError,
  HTTP_STATUS,
  InvalidArgumentError,
  isTesseraError,
  LogoutUnconfirmedError,
  RateLimitedError,
  ReauthRequiredError,
  SessionConflictError,
  SessionDataInvalidError,
  SessionDataTooLargeError,
  SessionExpiredError,
  SessionLimitError,
  SessionRevokedError,
  StoreUnavailableError,
  TesseraError,
  type TesseraErrorCode,
  UnauthenticatedError,
} from './errors.ts';
export {
  type DeviceBinding,
  DuplicateSessionError,
  type EndReason,
  type FederatedIdentity,
  type FederatedLookup,
  matchesSearchText,
  recordExpiresAt,
  type SessionBinding,
  type SessionCounts,
  type SessionDevice,
  type SessionRecord,
  type SessionSearch,
  type Store,
  type Tombstone,
  type TombstoneTemplate,
  type TouchPatch,
  tombstoneFromTemplate,
} from './store/types.ts';
