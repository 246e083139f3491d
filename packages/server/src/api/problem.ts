/** RFC 9457 problem responses of the session API, with stable codes. */
import { isTesseraError, RateLimitedError, type TesseraErrorCode } from '@tessera-sessions/core';

/** Codes the API adds to the engine's. */
export type ApiErrorCode =
  | TesseraErrorCode
  | 'API_KEY_INVALID'
  | 'API_KEY_SCOPE'
  | 'REQUEST_INVALID'
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'SESSION_INVALID'
  | 'NOT_FOUND'
  | 'INTERNAL_ERROR';

const TITLES: Partial<Record<ApiErrorCode, string>> = {
  API_KEY_INVALID: 'API key missing or invalid',
  API_KEY_SCOPE: 'API key lacks the scope',
  REQUEST_INVALID: 'Invalid request',
  BODY_TOO_LARGE: 'Request body too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  SESSION_INVALID: 'No valid session for this token',
  NOT_FOUND: 'Not found',
  RATE_LIMITED: 'Too many requests',
  STORE_UNAVAILABLE: 'Session store unavailable',
  INTERNAL_ERROR: 'Internal server error',
};

/** A problem document. */
export interface ApiProblem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ApiErrorCode;
  /** For REQUEST_INVALID: the offending field (dotted path). */
  field?: string;
  /** For SESSION_INVALID: why. */
  reason?: string;
}

/** An error the API answers with a problem document. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly extra: { field?: string; reason?: string; retryAfter?: number } = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The problem response for an error (Tessera errors keep their code; unknown errors leak nothing). */
export function problemResponse(err: unknown): Response {
  let p: ApiProblem;
  const headers: Record<string, string> = {
    'content-type': 'application/problem+json',
    'cache-control': 'no-store',
  };
  if (err instanceof ApiError || isTesseraError(err)) {
    const extra = err instanceof ApiError ? err.extra : {};
    p = {
      type: `https://tessera.dev/problems/${err.code.toLowerCase().replaceAll('_', '-')}`,
      title: TITLES[err.code] ?? err.code,
      status: err.status,
      detail: err.message,
      code: err.code,
      ...(extra.field !== undefined ? { field: extra.field } : {}),
      ...(extra.reason !== undefined ? { reason: extra.reason } : {}),
    };
    if (extra.retryAfter !== undefined) headers['retry-after'] = String(extra.retryAfter);
    else if (err instanceof RateLimitedError)
      headers['retry-after'] = String(Math.ceil(err.retryAfterMs / 1000));
  } else {
    console.error(err);
    p = {
      type: 'about:blank',
      title: 'Internal server error',
      status: 500,
      detail: 'An unexpected error occurred.',
      code: 'INTERNAL_ERROR',
    };
  }
  return new Response(JSON.stringify(p), { status: p.status, headers });
}
