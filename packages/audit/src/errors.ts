/** Stable error codes of the auditor; a `switch (err.code)` narrows on them. */
export type AuditErrorCode =
  | 'USAGE'
  | 'TARGET_UNREACHABLE'
  | 'TARGET_INVALID'
  | 'PROFILE_NOT_FOUND'
  | 'PROFILE_INVALID'
  | 'LOGIN_FAILED'
  | 'SESSION_COOKIE_NOT_FOUND'
  | 'SESSION_COOKIE_MISMATCH'
  | 'OFF_ORIGIN'
  | 'REQUEST_LIMIT'
  | 'TIME_BUDGET_EXCEEDED'
  | 'TOKENS_FILE_INVALID';

/** The one error type the auditor throws on purpose; `code` is stable, the message is for humans. */
export class AuditError extends Error {
  override readonly name = 'AuditError';
  readonly code: AuditErrorCode;

  constructor(code: AuditErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** True when `err` is an AuditError, optionally of one of the given codes. */
export function isAuditError(err: unknown, ...codes: AuditErrorCode[]): err is AuditError {
  return err instanceof AuditError && (codes.length === 0 || codes.includes(err.code));
}
