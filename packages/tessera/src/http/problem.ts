import { STATUS_CODES } from 'node:http';
import type { TesseraErrorCode } from '../errors.ts';
import { TesseraError } from '../errors.ts';

/** An RFC 9457 problem document. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: TesseraErrorCode | 'BAD_REQUEST' | 'INTERNAL_ERROR';
}

/**
 * The 4xx status a framework or body parser put on an error it threw for a bad request (bad
 * charset, too many fields, bad gzip, truncated multipart, body too large), or undefined.
 */
export function clientErrorStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || err instanceof TesseraError) return undefined;
  const e = err as { status?: unknown; statusCode?: unknown };
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/**
 * True for the errors adapters render themselves: Tessera errors, and the 4xx errors frameworks and
 * body parsers throw for unreadable requests. Everything else is unexpected.
 */
export function isKnownError(err: unknown): boolean {
  return err instanceof TesseraError || clientErrorStatus(err) !== undefined;
}

const TITLES: Partial<Record<TesseraErrorCode, string>> = {
  SESSION_EXPIRED: 'Session expired',
  SESSION_REVOKED: 'Session revoked',
  UNAUTHENTICATED: 'Authentication required',
  REAUTH_REQUIRED: 'Re-authentication required',
  CSRF_REJECTED: 'Cross-site request refused',
  DEVICE_BINDING_REQUIRED: 'Device-bound session required',
  DEVICE_PROOF_REQUIRED: 'Device key proof required',
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
  const status = clientErrorStatus(err);
  if (status !== undefined) {
    // What the parser said stays in the server: its messages can name internals.
    return {
      type: 'about:blank',
      title: STATUS_CODES[status] ?? 'Bad Request',
      status,
      detail: status === 413 ? 'The request body is too large.' : 'The request could not be read.',
      code: 'BAD_REQUEST',
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
