/**
 * Throttles for guessing: failed logins per account and per address, bad API keys per address.
 * Counting failures only, so a user who types the right password is never slowed down by others'
 * successes; a success clears the account's count.
 */
import { RateLimiterMemory } from 'rate-limiter-flexible';

/** The verdict when a throttle says no. */
export interface Throttled {
  retryAfterSeconds: number;
}

/** Failed-login throttle: 5 failures per account and 30 per address within 15 minutes. */
export class LoginThrottle {
  readonly #account: RateLimiterMemory;
  readonly #address: RateLimiterMemory;

  constructor(options: { perAccount?: number; perAddress?: number; windowSeconds?: number } = {}) {
    const duration = options.windowSeconds ?? 15 * 60;
    this.#account = new RateLimiterMemory({ points: options.perAccount ?? 5, duration, keyPrefix: 'acct' });
    this.#address = new RateLimiterMemory({ points: options.perAddress ?? 30, duration, keyPrefix: 'addr' });
  }

  /** Null when the attempt may go ahead; otherwise how long to wait. */
  async check(account: string, address: string | null): Promise<Throttled | null> {
    const [a, b] = await Promise.all([
      this.#account.get(account.toLowerCase()),
      address ? this.#address.get(address) : null,
    ]);
    const blocked = [
      a && a.consumedPoints >= this.#account.points ? a.msBeforeNext : 0,
      b && b.consumedPoints >= this.#address.points ? b.msBeforeNext : 0,
    ];
    const ms = Math.max(...blocked);
    return ms > 0 ? { retryAfterSeconds: Math.ceil(ms / 1000) } : null;
  }

  /** Counts a failed attempt. */
  async failed(account: string, address: string | null): Promise<void> {
    await Promise.all([
      this.#account.penalty(account.toLowerCase(), 1),
      address ? this.#address.penalty(address, 1) : null,
    ]);
  }

  /** Clears the account's failures after a successful login. */
  async succeeded(account: string): Promise<void> {
    await this.#account.delete(account.toLowerCase());
  }
}

/** Bad-API-key throttle: 10 failures per address per minute, then every request is refused until the window ends. */
export class KeyThrottle {
  readonly #limiter: RateLimiterMemory;
  constructor(options: { failures?: number; windowSeconds?: number } = {}) {
    this.#limiter = new RateLimiterMemory({
      points: options.failures ?? 10,
      duration: options.windowSeconds ?? 60,
      keyPrefix: 'apikey',
    });
  }
  /** Null when the address may try; otherwise how long to wait. */
  async check(address: string): Promise<Throttled | null> {
    const r = await this.#limiter.get(address);
    return r && r.consumedPoints >= this.#limiter.points
      ? { retryAfterSeconds: Math.ceil(r.msBeforeNext / 1000) }
      : null;
  }
  /** Counts a bad key. */
  async failed(address: string): Promise<void> {
    await this.#limiter.penalty(address, 1);
  }
}
