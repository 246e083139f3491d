/**
 * Bounded growth (issue #8, item 2): login attempts are rate-limited per client address and per
 * account, a user holds at most 50 sessions by default, the memory store expires records by
 * itself, and the rate-limit counters are pluggable (a shared backend fails closed).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { RateLimitSpec } from '../../src/engine/rate-limit.ts';
import { SessionManager } from '../../src/engine/session-manager.ts';
import { RateLimitedError, StoreUnavailableError } from '../../src/errors.ts';
import { memoryStore } from '../../src/stores/memory.ts';
import { FrozenClock, type Harness, harness, keys, MINUTE, STORE_KINDS } from '../helpers/engine.ts';

const DAY = 24 * 60 * MINUTE;

for (const kind of STORE_KINDS) {
  describe(`login limits (${kind})`, () => {
    let h: Harness;
    afterEach(() => h?.close());

    test('login attempts per address: over the limit RATE_LIMITED with a retry time; other addresses unaffected', async () => {
      h = harness(kind, { loginRateLimit: { perAddress: { points: 5, window: '15m' }, perAccount: false } });
      const { manager, events } = h;
      const ctx = { ip: '203.0.113.9' };
      for (let i = 0; i < 5; i++) await manager.login(null, `user${i}`, {}, ctx);
      const err = await manager.login(null, 'user9', {}, ctx).catch((e: unknown) => e);
      assert.ok(err instanceof RateLimitedError, 'the sixth login from one address is refused');
      assert.equal(err.code, 'RATE_LIMITED');
      assert.ok(err.retryAfterMs > 0 && err.retryAfterMs <= 15 * MINUTE);
      assert.match(err.message, /login attempts/);
      // The same /64 of IPv6 is one client; another address is not.
      await manager.login(null, 'user9', {}, { ip: '198.51.100.1' });
      const limited = events.filter((e) => e.type === 'session.rate_limited');
      assert.equal(limited.length, 1);
      assert.equal(limited[0]?.type === 'session.rate_limited' && limited[0].limit, 'login-address');
    });

    test('login attempts per account, from many addresses; failed attempts count through loginAttempt', async () => {
      h = harness(kind, { loginRateLimit: { perAddress: false, perAccount: { points: 3, window: '15m' } } });
      const { manager } = h;
      await manager.loginAttempt('alice', { ip: '192.0.2.1' }); // a wrong password
      await manager.loginAttempt('alice', { ip: '192.0.2.2' }); // another
      const ctx = { ip: '192.0.2.3' };
      await manager.loginAttempt('alice', ctx); // the right one…
      await manager.login(null, 'alice', {}, ctx); // …is not counted twice
      await assert.rejects(manager.loginAttempt('alice', { ip: '192.0.2.4' }), RateLimitedError);
      await assert.rejects(manager.login(null, 'alice', {}, { ip: '192.0.2.5' }), RateLimitedError);
      await manager.login(null, 'bob', {}, { ip: '192.0.2.4' });
    });

    test('a client without an address shares one bucket instead of skipping the limit', async () => {
      h = harness(kind, { creationRateLimit: { points: 3, window: '1m' }, loginRateLimit: false });
      const { manager } = h;
      for (let i = 0; i < 3; i++) await manager.create({});
      await assert.rejects(manager.create({}), RateLimitedError);
      await assert.rejects(manager.create(), RateLimitedError);
      await manager.create({ ip: '203.0.113.1' });
    });

    test('default per-user cap: 50 sessions, the oldest evicted; storage stays bounded under a login flood', async () => {
      h = harness(kind, { loginRateLimit: false, rememberMe: { absoluteTimeout: '30d' } });
      const { manager, clock } = h;
      const tokens: string[] = [];
      for (let i = 0; i < 300; i++) {
        tokens.push((await manager.login(null, 'alice', { rememberMe: true }, { ip: '203.0.113.9' })).token);
        clock.advance(1);
      }
      const live = await manager.listForUser('alice');
      assert.equal(live.length, 50);
      assert.equal((await h.store.inner.listByUser('alice')).length, 50, 'the store holds 50 records');
      assert.equal((await manager.validate(tokens[0]!)).ok, false, 'the oldest was evicted');
      assert.ok((await manager.validate(tokens[299]!)).ok);
    });
  });
}

test('maxSessionsPerUser: Infinity turns the cap off; 0, fractions and NaN are refused', () => {
  const make = (n: number) =>
    new SessionManager({
      store: memoryStore(),
      keys: keys(),
      logger: { warn: () => {} },
      maxSessionsPerUser: n,
    });
  assert.equal(make(Number.POSITIVE_INFINITY).policy.maxSessionsPerUser, Number.POSITIVE_INFINITY);
  for (const bad of [0, 1.5, Number.NaN, -1]) assert.throws(() => make(bad), /maxSessionsPerUser/);
});

describe('memory store: bounded without a sweeper', () => {
  test('10,000 remember-me sessions are gone 31 days later, records and tombstones, with no sweep call', async () => {
    const clock = new FrozenClock();
    const store = memoryStore({ clock });
    const manager = new SessionManager({
      store,
      clock,
      keys: keys(),
      creationRateLimit: false,
      loginRateLimit: false,
      logger: { warn: () => {} },
    });
    for (let i = 0; i < 10_000; i++) await manager.login(null, `user${i}`, { rememberMe: true });
    for (let i = 0; i < 100; i++) await manager.logout((await manager.login(null, `gone${i}`)).session);
    assert.equal(store.size, 10_000);
    assert.equal(store.tombstones, 100);
    clock.advance(31 * DAY);
    await new Promise((r) => setTimeout(r, 0));
    // Any write (here: the next visitor) lets the store expire what is due; a quiet process has its timer.
    await manager.create();
    assert.equal(store.size, 1, 'only the new session is left');
    assert.equal(store.tombstones, 0);
    await store.close?.();
  });

  test('the timer expires records of a quiet process', async () => {
    const clock = new FrozenClock();
    const store = memoryStore({ clock, sweepEvery: 20 });
    const manager = new SessionManager({ store, clock, keys: keys(), logger: { warn: () => {} } });
    await manager.login(null, 'alice');
    clock.advance(DAY);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(store.size, 0);
    await store.close?.();
  });
});

describe('pluggable rate limiters', () => {
  test('every limit is built by the backend; a failing backend fails closed (STORE_UNAVAILABLE)', async () => {
    const specs: RateLimitSpec[] = [];
    let down = false;
    const manager = new SessionManager({
      store: memoryStore(),
      keys: keys(),
      logger: { warn: () => {} },
      rateLimiters: (spec) => {
        specs.push(spec);
        return {
          consume: async () => {
            if (down) throw new Error('redis: connection refused');
            return null;
          },
        };
      },
    });
    assert.deepEqual(
      specs.map((s) => s.name),
      ['create', 'login-address', 'login-account'],
    );
    await manager.login(null, 'alice', {}, { ip: '192.0.2.1' });
    down = true;
    await assert.rejects(manager.login(null, 'alice', {}, { ip: '192.0.2.1' }), StoreUnavailableError);
    await assert.rejects(manager.create({ ip: '192.0.2.1' }), StoreUnavailableError);
  });
});
