/** Races around renewal: concurrent requests at rotation time, and a save racing a renewal. */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { SessionRevokedError } from '../../src/errors.ts';
import { createSessionManager, type Store } from '../../src/index.ts';
import { memoryStore } from '../../src/stores/memory.ts';
import { type Harness, harness, MINUTE, SECOND, STORE_KINDS } from '../helpers/engine.ts';

for (const kind of STORE_KINDS) {
  describe(`renewal races (${kind})`, () => {
    let h: Harness | undefined;
    afterEach(() => h?.close());

    test('concurrent requests at renewal time: one new token, every request served, no reuse alarm', async () => {
      h = harness(kind, { renewalInterval: '15m', reuseGrace: '5s' });
      const { manager, clock, events } = h;
      const u = await manager.login(null, 'alice');
      clock.advance(15 * MINUTE);
      const results = await Promise.all(Array.from({ length: 6 }, () => manager.validate(u.token)));
      assert.ok(
        results.every((r) => r.ok),
        JSON.stringify(results.map((r) => (r.ok ? 'ok' : r.reason))),
      );
      const issued = results.flatMap((r) => (r.ok && r.token ? [r.token] : []));
      assert.equal(issued.length, 1, 'exactly one request carries the new token');
      assert.equal(h.store.count('rotate') >= 1, true);
      assert.equal(
        new Set(results.map((r) => (r.ok ? r.session.id : ''))).size,
        1,
        'all see the same successor',
      );
      clock.advance(SECOND);
      assert.ok((await manager.validate(issued[0]!)).ok);
      assert.equal(events.filter((e) => e.type === 'session.reuse').length, 0);
      assert.equal((await manager.listForUser('alice')).length, 1, 'no fork');
    });

    test('a save racing a renewal lands on the successor instead of failing', async () => {
      h = harness(kind, { renewalInterval: '15m', reuseGrace: '5s' });
      const { manager, clock } = h;
      const u = await manager.login(null, 'alice');
      await manager.setData(u.session, { cart: ['a'] });
      clock.advance(15 * MINUTE);
      // Request A validated just before the renewal…
      clock.advance(-1);
      const a = await manager.validate(u.token);
      assert.ok(a.ok && a.token === null);
      clock.advance(1);
      // …request B renews…
      const b = await manager.validate(u.token);
      assert.ok(b.ok && b.token);
      // …then request A saves.
      await manager.updateData<{ cart: string[] }>(a.session, (d) => ({ cart: [...(d?.cart ?? []), 'b'] }));
      const now = await manager.validate(b.token);
      assert.ok(now.ok);
      assert.deepEqual(manager.readData(now.session), { cart: ['a', 'b'] });
    });

    test('a save from before a login or privilege rotation does not follow into the new session', async () => {
      h = harness(kind);
      const { manager } = h;
      const anon = await manager.create({}, { cart: ['a'] });
      const inFlight = await manager.validate(anon.token);
      assert.ok(inFlight.ok);
      const user = await manager.login(anon.session, 'alice');
      await assert.rejects(manager.setData(inFlight.session, { planted: true }), SessionRevokedError);
      assert.deepEqual(manager.readData(user.session), { cart: ['a'] });
      const v = await manager.validate(user.token);
      assert.ok(v.ok);
      const elevated = await manager.rotate(v.session, { authLevel: 2 });
      await assert.rejects(manager.setData(v.session, { planted: true }), SessionRevokedError);
      const after = await manager.validate(elevated.token);
      assert.ok(after.ok);
      assert.deepEqual(manager.readData(after.session), { cart: ['a'] });
    });

    test('a save arriving after the grace window of a renewal is refused', async () => {
      h = harness(kind, { renewalInterval: '15m', reuseGrace: '5s' });
      const { manager, clock } = h;
      const u = await manager.login(null, 'alice');
      const stale = await manager.validate(u.token);
      assert.ok(stale.ok);
      clock.advance(15 * MINUTE);
      const b = await manager.validate(u.token);
      assert.ok(b.ok && b.token);
      assert.ok((await manager.validate(b.token)).ok, 'the client picked up the renewed token');
      clock.advance(6 * SECOND);
      await assert.rejects(manager.setData(stale.session, { late: true }), SessionRevokedError);
      const now = await manager.validate(b.token);
      assert.ok(now.ok);
      assert.equal(manager.readData(now.session), undefined);
    });
  });
}

describe('lost compare-and-set inside validate', () => {
  const key = [{ id: 'k', key: Buffer.alloc(32, 9) }];

  test('a renewal that loses to a concurrent data write serves the live record, read-only, with no false alarm', async () => {
    let t = 1_000_000;
    const inner = memoryStore();
    let interfere = false;
    // Simulates a data write landing between the read and the rotation: the rotation then loses its CAS.
    const store: Store = {
      ...inner,
      async rotate(oldId, expected, next, tomb) {
        if (interfere) {
          interfere = false;
          const cur = (await inner.get(oldId))!;
          await inner.update({ ...cur, version: cur.version + 1 }, cur.version);
        }
        return inner.rotate(oldId, expected, next, tomb);
      },
    };
    const manager = createSessionManager({ store, clock: { now: () => t }, keys: key });
    const seen: string[] = [];
    manager.events.on('*', (e) => seen.push(e.type));
    const u = await manager.login(null, 'alice');
    t += 16 * 60_000;
    interfere = true;
    const r = await manager.validate(u.token);
    assert.equal(r.ok, true, 'the request is served');
    assert.equal(r.ok && r.token, null, 'no new token from a lost rotation');
    assert.equal(r.ok && r.session.userId, 'alice');
    assert.ok(!seen.includes('session.invalid_token'), 'no false invalid-token event');
    const again = await manager.validate(u.token);
    assert.ok(again.ok && again.token !== null, 'the next request renews normally');
  });

  test('a step-up flag that loses its write holds this request and writes nothing else', async () => {
    let t = 1_000_000;
    const inner = memoryStore();
    let failUpdates = 0;
    let touches = 0;
    const store: Store = {
      ...inner,
      async update(next, expected) {
        if (failUpdates > 0) {
          failUpdates--;
          return false;
        }
        return inner.update(next, expected);
      },
      async touch(id, patch) {
        touches++;
        return inner.touch(id, patch);
      },
    };
    const manager = createSessionManager({
      store,
      clock: { now: () => t },
      keys: key,
      binding: { ipPrefix: 'step-up' },
    });
    const u = await manager.login(null, 'alice', {}, { ip: '198.51.100.7' });
    t += 2 * 60_000; // a touch is due
    failUpdates = 1;
    const first = await manager.validate(u.token, { ip: '203.0.113.9' });
    assert.ok(first.ok && first.session.stepUpRequired, 'this request is held to step-up');
    assert.equal(touches, 0, 'no touch: the new address must not be recorded before the flag is');
    const second = await manager.validate(u.token, { ip: '203.0.113.9' });
    assert.ok(
      second.ok && second.session.stepUpRequired,
      'the mismatch is seen again and the flag now saved',
    );
    assert.equal((await inner.get(u.session.id))?.stepUpRequired, true);
  });
});
