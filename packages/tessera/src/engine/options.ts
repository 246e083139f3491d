import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import type { KeyEntry, KeyRing } from '../crypto/keyring.ts';
import { createKeyRing, ephemeralKeyRing, parseKeyRing } from '../crypto/keyring.ts';
import { type Duration, parseDuration } from '../duration.ts';
import { ConfigError } from '../errors.ts';
import type { Store } from '../store/types.ts';
import type { BindingAction } from './binding.ts';
import type { RateLimiter, RateLimiterBackend, RateLimitSpec } from './rate-limit.ts';
import { memoryRateLimiters } from './rate-limit.ts';

/** Where warnings go (development key, misconfiguration). Never receives tokens or data. */
export interface Logger {
  warn(message: string): void;
}

/** Options of {@link createSessionManager}. Every default is the safe one. */
export interface SessionManagerOptions {
  /** Where sessions live. */
  store: Store;
  /**
   * Keys that seal session data (AES-256-GCM): a key ring, entries (first is current), or text
   * `id:base64key,…`. Defaults to `process.env.TESSERA_KEYS`; in development (NODE_ENV not
   * `production`) a random key is generated with a loud warning; in production a missing key is an error.
   */
  keys?: KeyRing | readonly KeyEntry[] | string;
  /** Injectable clock (tests freeze it). */
  clock?: Clock;
  /** Inactivity timeout. Default `'30m'`. */
  idleTimeout?: Duration;
  /** Lifetime from creation that activity never extends. Default `'12h'`. */
  absoluteTimeout?: Duration;
  /** Remember-me sessions (opt-in per login): longer, lower trust. */
  rememberMe?: { idleTimeout?: Duration; absoluteTimeout?: Duration };
  /** Rotate a session's token after this long. Default `'15m'`. */
  renewalInterval?: Duration;
  /** Write the idle deadline at most once per this interval. Default `'1m'`. */
  touchInterval?: Duration;
  /** How long a token replaced by periodic renewal still works for requests in flight. Default `'5s'`. */
  reuseGrace?: Duration;
  /** How recent `authenticatedAt` must be for `requireFresh()`. Default `'5m'`. */
  stepUpMaxAge?: Duration;
  /**
   * Concurrent authenticated sessions per user (default 50) and what to do at the limit (default
   * `evict-oldest`). `Infinity` turns the limit off.
   */
  maxSessionsPerUser?: number;
  onSessionLimit?: 'evict-oldest' | 'reject';
  /** Binding policies: User-Agent family (default `revoke`), IP prefix (default `monitor`). */
  binding?: {
    userAgent?: BindingAction;
    ipPrefix?: BindingAction;
    ipv4PrefixBits?: number;
    ipv6PrefixBits?: number;
  };
  /** Maximum sealed data size in bytes. Default 4096. */
  maxDataBytes?: number;
  /**
   * New sessions per client address (IPv4, or IPv6 /64) per window: default 60 per minute; `false`
   * disables. Requests without a client address share one bucket. Over the limit `create()` throws
   * RATE_LIMITED (with the wait) and emits `session.rate_limited`; a limiter that fails is
   * STORE_UNAVAILABLE. The counter is pluggable: `{ points, window }` is counted by the
   * `rateLimiters` backend (spec name `create`; in this process by default), or pass a
   * rate-limiter-flexible limiter itself. Behind a load balancer use a shared one
   * (`redisRateLimiter(client)` from `@tessera-sessions/core/stores/redis`, `postgresRateLimiter(pool)`
   * from `…/stores/postgres`, or a `rateLimiters` backend of your own), so N app servers do not
   * allow N times the limit.
   */
  creationRateLimit?: { points: number; window: Duration } | RateLimiterAbstract | false;
  /**
   * Login attempts (`loginAttempt()` and `login()`) per client address (default 100 per 15 min) and
   * per account (default 10 per 15 min); over either, RATE_LIMITED with a retry time. `false`
   * disables one or both. A per-account limit lets anyone delay one account's logins: raise it or
   * turn it off where that matters more than password guessing.
   */
  loginRateLimit?:
    | {
        perAddress?: { points: number; window: Duration } | false;
        perAccount?: { points: number; window: Duration } | false;
      }
    | false;
  /**
   * Builds the counter of each rate limit (`create`, `login-address`, `login-account`) from its
   * {@link RateLimitSpec}: any object with `consume(key) → Promise<null | ms to wait>`
   * ({@link RateLimiter}; `fromRateLimiterFlexible` adapts rate-limiter-flexible). Default: this
   * process's memory; pass a backend on a shared store when several processes serve the same users.
   */
  rateLimiters?: RateLimiterBackend;
  /** Warnings sink. Default: `console.warn`. */
  logger?: Logger;
}

/** Options after validation and defaults, in milliseconds. */
export interface ResolvedOptions {
  store: Store;
  keys: KeyRing;
  clock: Clock;
  idleMs: number;
  absoluteMs: number;
  rememberIdleMs: number;
  rememberAbsoluteMs: number;
  renewalMs: number;
  touchMs: number;
  graceMs: number;
  stepUpMs: number;
  maxSessionsPerUser: number;
  onSessionLimit: 'evict-oldest' | 'reject';
  uaPolicy: BindingAction;
  ipPolicy: BindingAction;
  v4Bits: number;
  v6Bits: number;
  maxDataBytes: number;
  rateLimit: { points: number; windowMs: number } | RateLimiterAbstract | false;
  loginPerAddress: { points: number; windowMs: number } | false;
  loginPerAccount: { points: number; windowMs: number } | false;
  rateLimiters: RateLimiterBackend;
  logger: Logger;
}

const action = z.enum(['off', 'monitor', 'step-up', 'revoke']);
const duration = z.union([z.number(), z.string()]);
const limit = z.union([
  z.literal(false),
  z.object({ points: z.number().int().positive(), window: duration }).strict(),
]);
const schema = z
  .object({
    store: z.custom<Store>(
      (v) => typeof v === 'object' && v !== null && typeof (v as Store).get === 'function',
      'must be a Store (memoryStore(), sqliteStore(…), …)',
    ),
    keys: z.unknown().optional(),
    clock: z
      .custom<Clock>((v) => typeof (v as Clock)?.now === 'function', 'must have a now() method')
      .optional(),
    idleTimeout: duration.optional(),
    absoluteTimeout: duration.optional(),
    rememberMe: z
      .object({ idleTimeout: duration.optional(), absoluteTimeout: duration.optional() })
      .strict()
      .optional(),
    renewalInterval: duration.optional(),
    touchInterval: duration.optional(),
    reuseGrace: duration.optional(),
    stepUpMaxAge: duration.optional(),
    maxSessionsPerUser: z
      .custom<number>(
        (n) => typeof n === 'number' && n > 0 && (Number.isInteger(n) || n === Number.POSITIVE_INFINITY),
        'must be a positive integer, or Infinity for no limit',
      )
      .optional(),
    onSessionLimit: z.enum(['evict-oldest', 'reject']).optional(),
    binding: z
      .object({
        userAgent: action.optional(),
        ipPrefix: action.optional(),
        ipv4PrefixBits: z.number().int().min(0).max(32).optional(),
        ipv6PrefixBits: z.number().int().min(0).max(128).optional(),
      })
      .strict()
      .optional(),
    maxDataBytes: z.number().int().min(256).max(1_048_576).optional(),
    creationRateLimit: z
      .union([
        z.literal(false),
        z.object({ points: z.number().int().positive(), window: duration }).strict(),
        z.custom<RateLimiterAbstract>(
          (v) => typeof (v as RateLimiterAbstract | null)?.consume === 'function',
          'must be { points, window }, false, or a rate-limiter-flexible limiter',
        ),
      ])
      .optional(),
    loginRateLimit: z
      .union([
        z.literal(false),
        z.object({ perAddress: limit.optional(), perAccount: limit.optional() }).strict(),
      ])
      .optional(),
    rateLimiters: z
      .custom<RateLimiterBackend>((v) => typeof v === 'function', 'must be a function (spec) => RateLimiter')
      .optional(),
    logger: z
      .custom<Logger>((v) => typeof (v as Logger)?.warn === 'function', 'must have a warn() method')
      .optional(),
  })
  .strict();

function resolveKeys(input: unknown, logger: Logger): KeyRing {
  if (input === undefined) {
    const env = process.env.TESSERA_KEYS;
    if (env) return parseKeyRing(env);
    if (process.env.NODE_ENV === 'production') {
      throw new ConfigError(
        'keys',
        'no data-encryption key: set TESSERA_KEYS=id:base64key (32 random bytes) or pass `keys`.',
      );
    }
    logger.warn(
      'tessera: no data-encryption key configured (TESSERA_KEYS); generated a random development key. ' +
        'Session data will not survive a restart. Never run production like this.',
    );
    return ephemeralKeyRing();
  }
  if (typeof input === 'string') return parseKeyRing(input, 'keys');
  if (Array.isArray(input)) return createKeyRing(input as KeyEntry[]);
  if (typeof input === 'object' && input !== null && 'current' in input) return input as KeyRing;
  throw new ConfigError('keys', 'expected a key ring, an array of { id, key }, or "id:base64key,…".');
}

function resolveLimit(
  v: { points: number; window: unknown } | false | undefined,
  field: string,
  points: number,
): { points: number; windowMs: number } | false {
  if (v === false) return false;
  return { points: v?.points ?? points, windowMs: parseDuration(v?.window ?? '15m', `${field}.window`) };
}

/** Validates options and applies defaults; throws {@link ConfigError} naming the first bad field. */
export function resolveOptions(options: SessionManagerOptions): ResolvedOptions {
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field =
      issue.path.length > 0
        ? issue.path.join('.')
        : (issue as { keys?: string[] }).keys?.join(', ') || '(options)';
    throw new ConfigError(field, issue.message);
  }
  const o = parsed.data;
  const logger: Logger = o.logger ?? { warn: (m) => console.warn(m) };
  const ms = (v: unknown, field: string, fallback: Duration) => parseDuration(v ?? fallback, field);
  const r: ResolvedOptions = {
    store: o.store,
    keys: resolveKeys(o.keys, logger),
    clock: o.clock ?? systemClock,
    idleMs: ms(o.idleTimeout, 'idleTimeout', '30m'),
    absoluteMs: ms(o.absoluteTimeout, 'absoluteTimeout', '12h'),
    rememberIdleMs: ms(o.rememberMe?.idleTimeout, 'rememberMe.idleTimeout', '7d'),
    rememberAbsoluteMs: ms(o.rememberMe?.absoluteTimeout, 'rememberMe.absoluteTimeout', '30d'),
    renewalMs: ms(o.renewalInterval, 'renewalInterval', '15m'),
    touchMs: ms(o.touchInterval, 'touchInterval', '1m'),
    graceMs: ms(o.reuseGrace, 'reuseGrace', '5s'),
    stepUpMs: ms(o.stepUpMaxAge, 'stepUpMaxAge', '5m'),
    maxSessionsPerUser: o.maxSessionsPerUser ?? 50,
    onSessionLimit: o.onSessionLimit ?? 'evict-oldest',
    uaPolicy: o.binding?.userAgent ?? 'revoke',
    ipPolicy: o.binding?.ipPrefix ?? 'monitor',
    v4Bits: o.binding?.ipv4PrefixBits ?? 24,
    v6Bits: o.binding?.ipv6PrefixBits ?? 48,
    maxDataBytes: o.maxDataBytes ?? 4096,
    rateLimit:
      o.creationRateLimit === false || (o.creationRateLimit !== undefined && 'consume' in o.creationRateLimit)
        ? o.creationRateLimit
        : {
            points: o.creationRateLimit?.points ?? 60,
            windowMs: ms(o.creationRateLimit?.window, 'creationRateLimit.window', '1m'),
          },
    loginPerAddress: resolveLimit(
      o.loginRateLimit === false ? false : o.loginRateLimit?.perAddress,
      'loginRateLimit.perAddress',
      100,
    ),
    loginPerAccount: resolveLimit(
      o.loginRateLimit === false ? false : o.loginRateLimit?.perAccount,
      'loginRateLimit.perAccount',
      10,
    ),
    rateLimiters: o.rateLimiters ?? memoryRateLimiters,
    logger,
  };
  const positive: Array<[keyof ResolvedOptions, string]> = [
    ['idleMs', 'idleTimeout'],
    ['absoluteMs', 'absoluteTimeout'],
    ['rememberIdleMs', 'rememberMe.idleTimeout'],
    ['rememberAbsoluteMs', 'rememberMe.absoluteTimeout'],
    ['renewalMs', 'renewalInterval'],
  ];
  for (const [key, field] of positive)
    if ((r[key] as number) <= 0) throw new ConfigError(field, 'must be greater than 0.');
  if (r.idleMs > r.absoluteMs) throw new ConfigError('idleTimeout', 'must not exceed absoluteTimeout.');
  if (r.touchMs >= r.idleMs) throw new ConfigError('touchInterval', 'must be shorter than idleTimeout.');
  if (r.graceMs > 60_000)
    throw new ConfigError('reuseGrace', 'must be at most 60 s; a long grace window weakens reuse detection.');
  return r;
}
