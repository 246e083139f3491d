/** Synchronizer CSRF tokens and the per-address rate limit on new sessions. */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { RateLimitedError } from '../../src/errors.ts';
import { engineUnderTest, type Harness, harness, MINUTE, STORE_KINDS } from '../helpers/engine.ts';

for (const kind of STORE_KINDS) {
  describe(`CSRF tokens (${kind})`, () => {
    let h: Harness | undefined;
    afterEach(() => h?.close());

    test('a token verifies for its session; each token is fresh', async () => {
      h = harness(kind);
      const u = await h.manager.login(null, 'alice');
      const a = h.manager.csrfToken(u.session);
      const b = h.manager.csrfToken(u.session);
      assert.notEqual(a, b, 'salted');
      assert.ok(h.manager.verifyCsrfToken(u.session, a));
      assert.ok(h.manager.verifyCsrfToken(u.session, b));
      const v = await h.manager.validate(u.token);
      assert.ok(v.ok);
      assert.ok(h.manager.verifyCsrfToken(v.session, a), 'still valid on the next request');
    });

    test('tampered tokens and another session’s token are refused', async () => {
      h = harness(kind);
      const a = await h.manager.login(null, 'alice');
      const b = await h.manager.login(null, 'bob');
      const t = h.manager.csrfToken(a.session);
      assert.equal(h.manager.verifyCsrfToken(b.session, t), false, 'other session');
      for (let i = 0; i < t.length; i++) {
        if (i === 22) continue;
        const tampered = t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);
        assert.equal(h.manager.verifyCsrfToken(a.session, tampered), false, `position ${i}`);
      }
    });

    test('garbage is refused without throwing', async () => {
      h = harness(kind);
      const { session } = await h.manager.login(null, 'alice');
      const real = h.manager.csrfToken(session);
      for (const g of [
        '',
        '.',
        'a.b',
        real.slice(0, -1),
        `${real}A`,
        real.replace('.', ''),
        `${real.slice(0, 22)}.${'A'.repeat(43)}`,
        `${'A'.repeat(22)}.${real.slice(23)}`,
        'x'.repeat(66),
        'x'.repeat(1 << 16),
        `${real.slice(0, 22)}.${real.slice(23, -1)}é`,
        null,
        undefined,
        123,
        {},
        [real],
        Buffer.from(real),
      ]) {
        assert.equal(h.manager.verifyCsrfToken(session, g), false, String(g).slice(0, 40));
      }
    });

    test('login issues a new CSRF secret: a pre-login CSRF token does not carry over', async () => {
      h = harness(kind);
      const anon = await h.manager.create();
      const pre = h.manager.csrfToken(anon.session);
      const u = await h.manager.login(anon.session, 'alice');
      assert.equal(h.manager.verifyCsrfToken(u.session, pre), false);
    });
  });

  describe(`creation rate limit (${kind})`, () => {
    let h: Harness | undefined;
    afterEach(() => h?.close());

    test('N new sessions per address per window; the next is refused with RATE_LIMITED and stores nothing', async () => {
      h = harness(kind, { creationRateLimit: { points: 3, window: '10m' } });
      const ip = '203.0.113.50';
      for (let i = 0; i < 3; i++) await h.manager.create({ ip });
      h.store.reset();
      await assert.rejects(h.manager.create({ ip }), (err: unknown) => {
        assert.ok(err instanceof RateLimitedError);
        assert.equal(err.code, 'RATE_LIMITED');
        assert.equal(err.status, 429);
        assert.ok(err.retryAfterMs > 0 && err.retryAfterMs <= 10 * MINUTE);
        return true;
      });
      assert.equal(h.store.count('create'), 0);
      assert.ok(h.events.some((e) => e.type === 'session.rate_limited' && e.ip === ip));
      await h.manager.create({ ip: '203.0.113.51' });
      assert.equal(h.store.count('create'), 1, 'other addresses are not affected');
    });

    test('creationRateLimit: false disables the limit', async () => {
      h = harness(kind, { creationRateLimit: false });
      for (let i = 0; i < 100; i++) await h.manager.create({ ip: '203.0.113.50' });
    });
  });
}

describe('creation rate limit keys IPv6 clients by /64', () => {
  test('rotating through addresses of one /64 does not escape the limit', async () => {
    const { manager } = engineUnderTest('memory', { creationRateLimit: { points: 3, window: '1m' } });
    for (let i = 1; i <= 3; i++) await manager.create({ ip: `2001:db8:1:2::${i}` });
    await assert.rejects(manager.create({ ip: '2001:db8:1:2::ffff' }), { code: 'RATE_LIMITED' });
    await manager.create({ ip: '2001:db8:1:3::1' }); // another /64 is another client
  });
});

describe('the creation limiter is pluggable', () => {
  test('a custom rateLimiters backend decides; its refusal is RATE_LIMITED with its wait, and nothing is stored', async () => {
    const keys: string[] = [];
    const h = harness('memory', {
      creationRateLimit: { points: 1, window: '1m' },
      rateLimiters: (spec) => ({
        consume: async (key) => {
          if (spec.name !== 'create') return null;
          keys.push(key);
          return keys.length > 2 ? 1234 : null;
        },
      }),
    });
    try {
      await h.manager.create({ ip: '2001:db8:5:6::1' });
      await h.manager.create({ ip: '192.0.2.7' });
      h.store.reset();
      await assert.rejects(h.manager.create({ ip: '192.0.2.7' }), (err) => {
        assert.ok(err instanceof RateLimitedError);
        assert.equal(err.retryAfterMs, 1234);
        assert.equal(err.limit, 'create');
        return true;
      });
      assert.equal(h.store.count('create'), 0, 'a refused creation writes nothing');
      assert.deepEqual(
        keys,
        ['2001:db8:5:6::/64', '192.0.2.7/32', '192.0.2.7/32'],
        'keyed by /64 and by address',
      );
      const ev = h.events.find((e) => e.type === 'session.rate_limited');
      assert.ok(ev?.type === 'session.rate_limited' && ev.limit === 'create' && ev.ip === '192.0.2.7');
    } finally {
      h.close();
    }
  });

  test('a rate-limiter-flexible limiter can be passed as creationRateLimit', async () => {
    const { manager } = engineUnderTest('memory', {
      creationRateLimit: new RateLimiterMemory({ points: 2, duration: 60 }),
    });
    await manager.create({ ip: '198.51.100.1' });
    await manager.create({ ip: '198.51.100.1' });
    await assert.rejects(manager.create({ ip: '198.51.100.1' }), { code: 'RATE_LIMITED' });
    await manager.create({ ip: '198.51.100.2' });
  });
});
