import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ConfigError } from '../errors.ts';

/**
 * A fixed-window counter per key: the engine's rate limits (session creation, login attempts per
 * address and per account) go through it. The default keeps counters in the process; pass a
 * {@link RateLimiterBackend} that builds limiters on a shared store (Redis, PostgreSQL) when several
 * processes serve the same users.
 */
export interface RateLimiter {
  /** Takes one point for `key`: null when allowed, or how long (ms) until the key may try again. */
  consume(key: string): Promise<number | null>;
}

/** What one limit is: its name (use it as a key prefix), how many points per window. */
export interface RateLimitSpec {
  readonly name: 'create' | 'login-address' | 'login-account';
  readonly points: number;
  readonly windowMs: number;
}

/** Builds the limiter for one limit. */
export type RateLimiterBackend = (spec: RateLimitSpec) => RateLimiter;

/** The shape of a `rate-limiter-flexible` limiter (RateLimiterMemory, RateLimiterRedis, RateLimiterPostgres, …). */
export interface FlexibleLimiter {
  consume(key: string | number, points?: number): Promise<unknown>;
}

/**
 * Adapts a `rate-limiter-flexible` limiter. A rejection with a result (too many points) is "wait";
 * a rejection with an Error (its store failed) is passed on, and the engine fails closed.
 *
 * @example
 * import { RateLimiterRedis } from 'rate-limiter-flexible';
 * const backend: RateLimiterBackend = (spec) =>
 *   fromRateLimiterFlexible(new RateLimiterRedis({ storeClient: redis, keyPrefix: `tessera-${spec.name}`,
 *     points: spec.points, duration: Math.ceil(spec.windowMs / 1000) }));
 */
export function fromRateLimiterFlexible(limiter: FlexibleLimiter): RateLimiter {
  if (typeof (limiter as FlexibleLimiter | null)?.consume !== 'function')
    throw new ConfigError('limiter', 'must be a rate-limiter-flexible limiter (RateLimiterRedis, …).');
  return {
    async consume(key) {
      try {
        await limiter.consume(key);
        return null;
      } catch (res) {
        if (res instanceof RateLimiterRes) return Math.max(1, res.msBeforeNext);
        if (res instanceof Error) throw res;
        const ms = (res as { msBeforeNext?: unknown } | null)?.msBeforeNext;
        if (typeof ms === 'number') return Math.max(1, ms);
        throw new Error('rate limiter failed', { cause: res });
      }
    },
  };
}

/** The default backend: counters in this process's memory (`RateLimiterMemory`). */
export const memoryRateLimiters: RateLimiterBackend = (spec) =>
  fromRateLimiterFlexible(
    new RateLimiterMemory({
      keyPrefix: spec.name,
      points: spec.points,
      duration: Math.max(1, Math.ceil(spec.windowMs / 1000)),
    }),
  );
