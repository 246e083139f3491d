import type { TesseraErrorCode } from '../errors.ts';
import { TesseraError } from '../errors.ts';

/** An RFC 9457 problem document. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: TesseraErrorCode | 'INTERNAL_ERROR';
}

const TITLES: Partial<Record<TesseraErrorCode, string>> = {
  SESSION_EXPIRED: 'Session expired',
  SESSION_REVOKED: 'Session revoked',
  UNAUTHENTICATED: 'Authentication required',
  REAUTH_REQUIRED: 'Re-authentication required',
  CSRF_REJECTED: 'Cross-site request refused',
  RATE_LIMITED: 'Too many requests',
  STORE_UNAVAILABLE: 'Session store unavailable',
  SESSION_DATA_TOO_LARGE: 'Session data too large',
};

const GENERIC: Partial<Record<TesseraErrorCode, string>> = {
  SESSION_DATA_INVALID: 'The session data could not be read.',
  CONFIG_INVALID: 'The server is misconfigured.',
};

/**
 * The problem document for an error. Tessera errors keep their code, status and message (which
 * never hold secrets); anything else becomes a generic 500 with no detail leaked.
 */
export function toProblem(err: unknown): ProblemDetails {
  if (err instanceof TesseraError) {
    return {
      type: `https://tessera.dev/problems/${err.code.toLowerCase().replaceAll('_', '-')}`,
      title: TITLES[err.code] ?? err.code,
      status: err.status,
      // Server-side failures say what failed, not how: no key ids, no configuration detail.
      detail:
        err.status >= 500 && err.code !== 'STORE_UNAVAILABLE'
          ? (GENERIC[err.code] ?? 'An internal error occurred.')
          : err.message,
      code: err.code,
    };
  }
  return {
    type: 'about:blank',
    title: 'Internal Server Error',
    status: 500,
    detail: 'An unexpected error occurred.',
    code: 'INTERNAL_ERROR',
  };
}

/** Content type of problem documents. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
