import type { Duration } from '../../duration.ts';

/** Options of the shared limiters (`redisRateLimiter`, `postgresRateLimiter`). */
export interface SharedRateLimitOptions {
  /** Allowed per key per window (default 60, as the engine's in-process default). */
  points?: number;
  /** Window length (default `1m`). */
  window?: Duration;
  /** Redis key prefix or PostgreSQL table name (default `tessera_rl_create`). */
  name?: string;
}
