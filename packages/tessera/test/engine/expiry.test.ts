/** Idle and absolute expiry with a frozen clock; touch throttling counted at the store. */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { type Harness, HOUR, harness, MINUTE, SECOND, STORE_KINDS } from '../helpers/engine.ts';

for (const kind of STORE_KINDS) {
  describe(`expiry (${kind})`, () => {
    let h: Harness | undefined;
    afterEach(() => h?.close());

    test('idle: a session untouched for the idle timeout is expired, and stays expired', async () => {
      h = harness(kind, { idleTimeout: '30m', renewalInterval: '1h' });
      const { manager, clock, events } = h;
      const u = await manager.login(null, 'alice');
      clock.advance(30 * MINUTE - 1);
      const before = await manager.validate(u.token);
      assert.ok(before.ok, 'one millisecond before the deadline');
      // That request extended the idle deadline; now stay away for a full idle period.
      clock.advance(30 * MINUTE);
      assert.deepEqual(await manager.validate(u.token), {
        ok: false,
        reason: 'expired',
        deadline: 'idle',
        authenticated: true,
      });
      const ev = events.find((e) => e.type === 'session.expired');
      assert.ok(ev && ev.type === 'session.expired' && ev.deadline === 'idle');
      clock.advance(-59 * MINUTE);
      assert.deepEqual(
        await manager.validate(u.token),
        { ok: false, reason: 'expired', deadline: null, authenticated: true },
        'turning the clock back does not help',
      );
    });

    test('idle: exactly at the deadline is expired', async () => {
      h = harness(kind, { idleTimeout: '30m' });
      const u = await h.manager.create();
      h.clock.advance(30 * MINUTE);
      assert.deepEqual(await h.manager.validate(u.token), {
        ok: false,
        reason: 'expired',
        deadline: 'idle',
        authenticated: false,
      });
    });

    test('absolute: activity (touches and renewals) never extends the absolute deadline', async () => {
      h = harness(kind, {
        idleTimeout: '30m',
        absoluteTimeout: '2h',
        renewalInterval: '15m',
        touchInterval: '1m',
      });
      const { manager, clock } = h;
      const u = await manager.login(null, 'alice');
      const absolute = u.session.absoluteExpiresAt;
      assert.equal(absolute, clock.t + 2 * HOUR);
      let token = u.token;
      let renewals = 0;
      while (clock.t + 5 * MINUTE < absolute) {
        clock.advance(5 * MINUTE);
        const v = await manager.validate(token);
        assert.ok(v.ok, `alive at +${(clock.t - u.session.createdAt) / MINUTE} min`);
        assert.equal(v.session.absoluteExpiresAt, absolute);
        assert.ok(v.session.idleExpiresAt <= absolute, 'idle deadline capped by absolute');
        if (v.token) {
          token = v.token;
          renewals++;
        }
      }
      assert.ok(renewals >= 6, `renewed ${renewals} times`);
      clock.t = absolute;
      assert.deepEqual(await manager.validate(token), {
        ok: false,
        reason: 'expired',
        deadline: 'absolute',
        authenticated: true,
      });
      const ev = h.events.find((e) => e.type === 'session.expired');
      assert.ok(ev && ev.type === 'session.expired' && ev.deadline === 'absolute');
    });

    test('remember-me: a longer idle timeout, but still an absolute deadline', async () => {
      h = harness(kind, { rememberMe: { idleTimeout: '7d', absoluteTimeout: '30d' }, renewalInterval: '1d' });
      const { manager, clock } = h;
      const u = await manager.login(null, 'alice', { rememberMe: true });
      assert.equal(u.session.rememberMe, true);
      clock.advance(6 * 24 * HOUR);
      const v = await manager.validate(u.token);
      assert.ok(v.ok, 'six days idle is fine with remember-me');
      let token = v.token ?? u.token;
      for (let day = 12; day < 30; day += 6) {
        clock.advance(6 * 24 * HOUR);
        const r = await manager.validate(token);
        assert.ok(r.ok);
        token = r.token ?? token;
      }
      clock.t = u.session.absoluteExpiresAt;
      assert.deepEqual(await manager.validate(token), {
        ok: false,
        reason: 'expired',
        deadline: 'absolute',
        authenticated: true,
      });
    });

    test('touch is throttled: at most one store write per touch interval under constant traffic', async () => {
      h = harness(kind, { idleTimeout: '30m', touchInterval: '1m', renewalInterval: '1h' });
      const { manager, clock, store } = h;
      const u = await manager.login(null, 'alice');
      store.reset();
      const writeTimes: number[] = [];
      for (let s = 1; s <= 600; s++) {
        clock.advance(SECOND);
        const before = store.writes;
        const v = await manager.validate(u.token, { ip: '203.0.113.9' });
        assert.ok(v.ok);
        if (store.writes > before) writeTimes.push(clock.t);
      }
      assert.equal(store.count('touch'), 10, '600 requests over 10 minutes: 10 touches');
      assert.equal(store.writes, 10);
      for (let i = 1; i < writeTimes.length; i++) {
        assert.ok(writeTimes[i]! - writeTimes[i - 1]! >= MINUTE, 'two writes within one touch interval');
      }
      const r = await store.inner.get(u.session.id);
      assert.equal(r?.lastSeenAt, writeTimes.at(-1));
      assert.equal(r?.idleExpiresAt, writeTimes.at(-1)! + 30 * MINUTE);
      assert.equal(r?.device.lastIp, '203.0.113.9');
    });

    test('touch boundary: no write before the interval, one write at it', async () => {
      h = harness(kind, { touchInterval: '1m', renewalInterval: '1h' });
      const { manager, clock, store } = h;
      const u = await manager.login(null, 'alice');
      store.reset();
      clock.advance(MINUTE - 1);
      assert.ok((await manager.validate(u.token)).ok);
      assert.equal(store.writes, 0);
      clock.advance(1);
      assert.ok((await manager.validate(u.token)).ok);
      assert.equal(store.count('touch'), 1);
    });

    test('sweep removes expired sessions; their tokens stay dead', async () => {
      h = harness(kind, { idleTimeout: '30m' });
      const { manager, clock } = h;
      const a = await manager.login(null, 'alice');
      clock.advance(31 * MINUTE);
      const b = await manager.login(null, 'bob');
      // The memory store may already have dropped it by itself (on bob's write); SQLite needs the sweep.
      assert.ok((await manager.sweep()) <= 1);
      assert.equal(await h.store.inner.get(a.session.id), null);
      assert.equal((await manager.validate(a.token)).ok, false);
      assert.ok((await manager.validate(b.token)).ok);
    });

    test('listForUser hides sessions past their deadlines before any sweep', async () => {
      h = harness(kind, { idleTimeout: '30m' });
      const { manager, clock } = h;
      await manager.login(null, 'alice');
      clock.advance(20 * MINUTE);
      await manager.login(null, 'alice');
      clock.advance(15 * MINUTE);
      assert.equal((await manager.listForUser('alice')).length, 1);
    });
  });
}
