import { type Duration, parseDuration } from '../../duration.ts';
import { ConfigError } from '../../errors.ts';
import type { DbscAlgorithm } from './proof.ts';

/**
 * Device Bound Session Credentials (DBSC) for the HTTP layer. Off unless given; `{}` turns it on in
 * `optional` mode.
 */
export interface DeviceBoundOptions {
  /**
   * `optional` (default): a session whose browser registered a key must keep proving it (its bound
   * cookie is required); browsers without DBSC keep ordinary cookie sessions. `required-for`: as
   * `optional`, and sessions at or above `requiredAuthLevel` must be bound (`requireAuth` and
   * `requireFresh` refuse them otherwise). Routes can always demand a bound session with
   * `requireDeviceBound()`. `off`: nothing is offered and nothing is checked.
   */
  mode?: 'off' | 'optional' | 'required-for';
  /** With `required-for`: the auth level from which a session must be device-bound. Default 2. */
  requiredAuthLevel?: number;
  /** Path prefix of the registration (`/register`) and refresh (`/refresh`) endpoints. Default `/.tessera/dbsc`. */
  path?: string;
  /** Lifetime of the bound cookie; a DBSC browser refreshes it (signing a challenge) when it expires. Default `'10m'`. */
  cookieLifetime?: Duration;
  /** How recent a key proof `requireDeviceBound()` accepts before it asks for a new one. Default `'1m'`. */
  proofMaxAge?: Duration;
  /** How long a challenge issued on demand (403 at refresh) is accepted. Default `'1m'`. */
  challengeLifetime?: Duration;
  /** How long a registration offered at login or step-up may be completed. Default `'5m'`. */
  registrationLifetime?: Duration;
  /**
   * After a key is registered, requests already in flight may still lack the bound cookie; within
   * this window they are served (not treated as stolen). Default `'10s'`.
   */
  registrationGrace?: Duration;
  /**
   * What a bound session seen without a valid bound cookie means: `revoke` (default) ends the whole
   * rotation family; `step-up` keeps it but flags it, so sensitive actions need re-authentication.
   */
  onMissingProof?: 'revoke' | 'step-up';
  /** Algorithms offered to the browser, in order of preference. Default `['ES256', 'RS256']`. */
  algorithms?: DbscAlgorithm[];
}

/** Options after defaults, in milliseconds. */
export interface ResolvedDeviceBound {
  mode: 'optional' | 'required-for';
  requiredAuthLevel: number;
  path: string;
  cookieLifetimeMs: number;
  proofMaxAgeMs: number;
  challengeLifetimeMs: number;
  registrationLifetimeMs: number;
  registrationGraceMs: number;
  onMissingProof: 'revoke' | 'step-up';
  algorithms: DbscAlgorithm[];
}

/** Validates the options; null when DBSC is off. */
export function resolveDeviceBound(
  options: DeviceBoundOptions | undefined | false,
): ResolvedDeviceBound | null {
  if (!options || options.mode === 'off') return null;
  const mode = options.mode ?? 'optional';
  if (mode !== 'optional' && mode !== 'required-for')
    throw new ConfigError('deviceBound.mode', "must be 'off', 'optional' or 'required-for'.");
  const path = (options.path ?? '/.tessera/dbsc').replace(/\/+$/, '');
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(path) || path.includes('//'))
    throw new ConfigError('deviceBound.path', 'must be an absolute URL path of unreserved characters.');
  const algorithms = options.algorithms ?? ['ES256', 'RS256'];
  if (algorithms.length === 0 || algorithms.some((a) => a !== 'ES256' && a !== 'RS256'))
    throw new ConfigError('deviceBound.algorithms', "must list 'ES256' and/or 'RS256'.");
  const level = options.requiredAuthLevel ?? 2;
  if (!Number.isInteger(level) || level < 0)
    throw new ConfigError('deviceBound.requiredAuthLevel', 'must be a non-negative integer.');
  const onMissingProof = options.onMissingProof ?? 'revoke';
  if (onMissingProof !== 'revoke' && onMissingProof !== 'step-up')
    throw new ConfigError('deviceBound.onMissingProof', "must be 'revoke' or 'step-up'.");
  const ms = (v: Duration | undefined, fallback: Duration, field: string) =>
    parseDuration(v ?? fallback, `deviceBound.${field}`);
  const resolved: ResolvedDeviceBound = {
    mode,
    requiredAuthLevel: level,
    path,
    cookieLifetimeMs: ms(options.cookieLifetime, '10m', 'cookieLifetime'),
    proofMaxAgeMs: ms(options.proofMaxAge, '1m', 'proofMaxAge'),
    challengeLifetimeMs: ms(options.challengeLifetime, '1m', 'challengeLifetime'),
    registrationLifetimeMs: ms(options.registrationLifetime, '5m', 'registrationLifetime'),
    registrationGraceMs: ms(options.registrationGrace, '10s', 'registrationGrace'),
    onMissingProof,
    algorithms: [...new Set(algorithms)],
  };
  if (resolved.cookieLifetimeMs < 10_000)
    throw new ConfigError(
      'deviceBound.cookieLifetime',
      'must be at least 10s (every expiry costs a key signature).',
    );
  return resolved;
}
