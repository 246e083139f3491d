/**
 * One error model for the whole library: a base class with a stable `code` from a closed
 * union, subclasses for the cases callers handle, and the HTTP status each maps to.
 * Messages never contain a token or session data.
 */

/**
 * Every code a Tessera error can carry. `switch (err.code)` narrows on it. Each code has a producer
 * (docs/errors.md lists them); a code nothing produces is removed rather than kept "for later".
 */
export type TesseraErrorCode =
  | 'SESSION_EXPIRED'
  | 'SESSION_REVOKED'
  | 'SESSION_CONFLICT'
  | 'SESSION_LIMIT_REACHED'
  | 'SESSION_DATA_TOO_LARGE'
  | 'SESSION_DATA_INVALID'
  | 'REAUTH_REQUIRED'
  | 'UNAUTHENTICATED'
  | 'CSRF_REJECTED'
  | 'DEVICE_BINDING_REQUIRED'
  | 'DEVICE_PROOF_REQUIRED'
  | 'RATE_LIMITED'
  | 'STORE_UNAVAILABLE'
  | 'CONFIG_INVALID'
  | 'INVALID_ARGUMENT';

/** HTTP status for each code, used by the HTTP layer's problem+json responses. */
export const HTTP_STATUS: Readonly<Record<TesseraErrorCode, number>> = Object.freeze({
  SESSION_EXPIRED: 401,
  SESSION_REVOKED: 401,
  UNAUTHENTICATED: 401,
  REAUTH_REQUIRED: 401,
  SESSION_CONFLICT: 409,
  SESSION_LIMIT_REACHED: 403,
  SESSION_DATA_TOO_LARGE: 413,
  SESSION_DATA_INVALID: 500,
  CSRF_REJECTED: 403,
  DEVICE_BINDING_REQUIRED: 403,
  DEVICE_PROOF_REQUIRED: 307,
  RATE_LIMITED: 429,
  STORE_UNAVAILABLE: 503,
  CONFIG_INVALID: 500,
  INVALID_ARGUMENT: 500,
});

/** Base class of every error Tessera throws on purpose. */
export class TesseraError extends Error {
  readonly code: TesseraErrorCode;
  /** The HTTP status this error maps to. */
  readonly status: number;
  constructor(code: TesseraErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TesseraError';
    this.code = code;
    this.status = HTTP_STATUS[code];
  }
}

/**
 * The logged-in session of this request has just expired: its idle or absolute deadline passed
 * (`deadline` null: an earlier request had already ended it as expired). The HTTP layer's
 * `requireAuth` throws it instead of UNAUTHENTICATED, so the user is told their session expired.
 */
export class SessionExpiredError extends TesseraError {
  override readonly name = 'SessionExpiredError';
  constructor(readonly deadline: 'idle' | 'absolute' | null = null) {
    // Worded for the person at the browser; which deadline passed is in `deadline`, not the text.
    super('SESSION_EXPIRED', 'Your session has expired; please sign in again.');
  }
}

/** The session was logged out, revoked, evicted or replaced and may not be used. */
export class SessionRevokedError extends TesseraError {
  override readonly name = 'SessionRevokedError';
  constructor(message = 'The session has been revoked.') {
    super('SESSION_REVOKED', message);
  }
}

/** A request needs an authenticated session and has none. */
export class UnauthenticatedError extends TesseraError {
  override readonly name = 'UnauthenticatedError';
  constructor(message = 'Authentication is required.') {
    super('UNAUTHENTICATED', message);
  }
}

/** A sensitive action needs a recent authentication (step-up). */
export class ReauthRequiredError extends TesseraError {
  override readonly name = 'ReauthRequiredError';
  constructor(readonly maxAgeMs: number) {
    super(
      'REAUTH_REQUIRED',
      `This action needs an authentication from the last ${Math.round(maxAgeMs / 1000)} s.`,
    );
  }
}

/** Sealed session data would exceed the configured size limit. */
export class SessionDataTooLargeError extends TesseraError {
  override readonly name = 'SessionDataTooLargeError';
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(
      'SESSION_DATA_TOO_LARGE',
      `Session data is ${size} bytes after encryption; the limit is ${limit} bytes.`,
    );
  }
}

/** A data envelope could not be opened: tampered, swapped between sessions, or sealed with an unknown key. */
export class SessionDataInvalidError extends TesseraError {
  override readonly name = 'SessionDataInvalidError';
  constructor(reason: string, options?: { cause?: unknown }) {
    super('SESSION_DATA_INVALID', `Session data could not be opened: ${reason}.`, options);
  }
}

/** Concurrent writers kept changing the session; the update gave up after its retries. */
export class SessionConflictError extends TesseraError {
  override readonly name = 'SessionConflictError';
  constructor(attempts: number) {
    super(
      'SESSION_CONFLICT',
      `The session changed concurrently ${attempts} times in a row; the update was not applied.`,
    );
  }
}

/** The user already has the maximum number of sessions and the policy is `reject`. */
export class SessionLimitError extends TesseraError {
  override readonly name = 'SessionLimitError';
  constructor(readonly limit: number) {
    super('SESSION_LIMIT_REACHED', `The user already has ${limit} active sessions.`);
  }
}

/** A state-changing request failed the CSRF checks. */
export class CsrfError extends TesseraError {
  override readonly name = 'CsrfError';
  constructor(readonly reason: string) {
    super('CSRF_REJECTED', `Request refused by the CSRF guard: ${reason}.`);
  }
}

/** The action needs a device-bound (DBSC) session, and this session is not bound. */
export class DeviceBindingRequiredError extends TesseraError {
  override readonly name = 'DeviceBindingRequiredError';
  constructor() {
    super('DEVICE_BINDING_REQUIRED', 'This action needs a session bound to this device.');
  }
}

/**
 * The action needs a fresh proof of the device key. Rendered as a 307 back to `location` with the
 * bound cookie expired, so a DBSC browser refreshes (signing a challenge) and retries on its own.
 */
export class DeviceProofRequiredError extends TesseraError {
  override readonly name = 'DeviceProofRequiredError';
  constructor(readonly location: string) {
    super('DEVICE_PROOF_REQUIRED', 'This action needs a fresh proof of the device key.');
  }
}

/** Too many new sessions from one client in a short time. */
export class RateLimitedError extends TesseraError {
  override readonly name = 'RateLimitedError';
  constructor(
    readonly retryAfterMs: number,
    readonly limit: 'create' | 'login' = 'create',
  ) {
    super(
      'RATE_LIMITED',
      limit === 'login'
        ? 'Too many login attempts; try again later.'
        : 'Too many new sessions from this client; try again later.',
    );
  }
}

/**
 * A logout whose server-side end the store could not confirm: the browser's cookie was cleared
 * anyway; the session record may live on until it expires or is revoked (code STORE_UNAVAILABLE, 503).
 */
export class LogoutUnconfirmedError extends TesseraError {
  override readonly name = 'LogoutUnconfirmedError';
  constructor(options?: { cause?: unknown }) {
    super(
      'STORE_UNAVAILABLE',
      'You are signed out in this browser, but the server could not confirm that the session ended ' +
        '(the session store is unavailable). Sign out again later, or use "sign out everywhere".',
      options,
    );
  }
}

/** The store could not answer. Validation fails closed with this error. */
export class StoreUnavailableError extends TesseraError {
  override readonly name = 'StoreUnavailableError';
  constructor(operation: string, options?: { cause?: unknown }) {
    super('STORE_UNAVAILABLE', `The session store failed during ${operation}.`, options);
  }
}

/** Options are invalid; the message names the field. */
export class ConfigError extends TesseraError {
  override readonly name = 'ConfigError';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super('CONFIG_INVALID', `Invalid option \`${field}\`: ${problem}`);
  }
}

/**
 * A method was called with an argument it cannot take (a user id that is not a string, an object
 * that is not a session this engine issued): a bug in the calling code, so it maps to 500 and the
 * HTTP layer shows no detail. The message names the argument, never its value.
 */
export class InvalidArgumentError extends TesseraError {
  override readonly name = 'InvalidArgumentError';
  constructor(
    readonly argument: string,
    problem: string,
  ) {
    super('INVALID_ARGUMENT', `Invalid argument \`${argument}\`: ${problem}`);
  }
}

/** True when `err` is a Tessera error, optionally with the given code. */
export function isTesseraError(err: unknown, code?: TesseraErrorCode): err is TesseraError {
  return err instanceof TesseraError && (code === undefined || err.code === code);
}
