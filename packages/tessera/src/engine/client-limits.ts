import { createHash } from 'node:crypto';
import { ConfigError, RateLimitedError, StoreUnavailableError } from '../errors.ts';
import type { RequestContext } from './binding.ts';
import { ipPrefix } from './binding.ts';
import type { Publish } from './internal.ts';
import type { ResolvedOptions } from './options.ts';
import { fromRateLimiterFlexible, type RateLimiter, type RateLimitSpec } from './rate-limit.ts';

/**
 * The engine's per-client rate limits: new sessions per address (`creationRateLimit`) and login
 * attempts per address and per account (`loginRateLimit`). Each limit is a {@link RateLimiter}
 * built by the `rateLimiters` backend (in-process by default; shared across servers when the
 * backend is), or — for the creation limit — a rate-limiter-flexible limiter passed directly.
 * Over a limit: `session.rate_limited` and {@link RateLimitedError}; a limiter whose store fails:
 * {@link StoreUnavailableError} (fail closed).
 * @internal
 */
export class ClientLimits {
  readonly #create: RateLimiter | null;
  readonly #loginByAddress: RateLimiter | null;
  readonly #loginByAccount: RateLimiter | null;
  readonly #publish: Publish;
  /** Request contexts whose login attempt was already counted by {@link loginAttempt}. */
  readonly #counted = new WeakSet<RequestContext>();

  constructor(o: ResolvedOptions, publish: Publish) {
    this.#publish = publish;
    const build = (spec: RateLimitSpec): RateLimiter => {
      const limiter = o.rateLimiters(spec);
      if (typeof (limiter as RateLimiter | null)?.consume !== 'function')
        throw new ConfigError('rateLimiters', `returned no RateLimiter for the '${spec.name}' limit.`);
      return limiter;
    };
    this.#create =
      o.rateLimit === false
        ? null
        : 'consume' in o.rateLimit
          ? fromRateLimiterFlexible(o.rateLimit)
          : build({ name: 'create', ...o.rateLimit });
    this.#loginByAddress = o.loginPerAddress ? build({ name: 'login-address', ...o.loginPerAddress }) : null;
    this.#loginByAccount = o.loginPerAccount ? build({ name: 'login-account', ...o.loginPerAccount }) : null;
  }

  /** Takes one point of the creation limit for this client's address. */
  async create(ctx: RequestContext): Promise<void> {
    if (this.#create) await this.#consume(this.#create, addressKey(ctx), ctx, 'create', null);
  }

  /** Counts a login attempt for `account` from this client (see `SessionManager.loginAttempt`). */
  async loginAttempt(account: string, ctx: RequestContext): Promise<void> {
    this.#counted.add(ctx);
    if (this.#loginByAddress)
      await this.#consume(this.#loginByAddress, addressKey(ctx), ctx, 'login-address', null);
    if (this.#loginByAccount)
      await this.#consume(this.#loginByAccount, accountKey(account), ctx, 'login-account', account);
  }

  /** Before a login: counts the attempt, unless a `loginAttempt` with the same `ctx` object already did. */
  async login(userId: string, ctx: RequestContext): Promise<void> {
    // One loginAttempt() covers the one login() that follows it with the same context.
    if (!this.#counted.delete(ctx)) await this.loginAttempt(userId, ctx);
    this.#counted.delete(ctx);
  }

  async #consume(
    limiter: RateLimiter,
    key: string,
    ctx: RequestContext,
    limit: RateLimitSpec['name'],
    userId: string | null,
  ): Promise<void> {
    let wait: number | null;
    try {
      wait = await limiter.consume(key);
    } catch (err) {
      throw new StoreUnavailableError('rate-limit', { cause: err });
    }
    if (wait === null) return;
    this.#publish('session.rate_limited', { id: null, userId }, ctx, {
      limit,
      scope: limit === 'create' ? 'create' : undefined,
    });
    throw new RateLimitedError(wait, limit === 'create' ? 'create' : 'login');
  }
}

/** Rate-limit key of a client: per address for IPv4, per /64 for IPv6; one shared bucket without an address. */
function addressKey(ctx: RequestContext): string {
  if (!ctx.ip) return 'no-address';
  return ipPrefix(ctx.ip, 32, 64) ?? ctx.ip;
}

/** Rate-limit key of an account: hashed, so a shared limiter store holds no user names. */
function accountKey(account: string): string {
  return createHash('sha256').update(account).digest('base64url').slice(0, 32);
}
