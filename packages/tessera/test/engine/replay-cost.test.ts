/**
 * Replaying a dead token (issue #8, item 9): the family revocation runs once, over the family only;
 * replays of an already-revoked family are one tombstone read each and raise no second alarm.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { type Harness, harness, MINUTE, SECOND, STORE_KINDS } from '../helpers/engine.ts';

for (const kind of STORE_KINDS) {
  describe(`replays of a revoked family (${kind})`, () => {
    let h: Harness;
    afterEach(() => h?.close());

    test('one revocation, one alarm; later replays of any token of the family are one read', async () => {
      h = harness(kind, { loginRateLimit: false });
      const { manager, clock, store, events } = h;
      const bystanders = [];
      for (let i = 0; i < 50; i++) bystanders.push(await manager.login(null, `user${i}`));
      const t0 = (await manager.login(null, 'alice')).token;
      clock.advance(16 * MINUTE);
      const r1 = await manager.validate(t0);
      assert.ok(r1.ok && r1.token);
      assert.ok((await manager.validate(r1.token)).ok); // the victim uses the renewed token
      clock.advance(6 * SECOND);
      assert.deepEqual(await manager.validate(t0), { ok: false, reason: 'reuse' });
      store.reset();
      for (let i = 0; i < 20; i++) {
        assert.equal((await manager.validate(t0)).ok, false);
        assert.equal((await manager.validate(r1.token)).ok, false);
      }
      assert.equal(store.calls.get('deleteFamily') ?? 0, 0, 'no second family revocation');
      assert.equal(store.writes, 0, 'replays write nothing');
      assert.equal(events.filter((e) => e.type === 'session.reuse').length, 1, 'one alarm');
      for (const b of bystanders.slice(0, 5)) assert.ok((await manager.validate(b.token)).ok);
    });
  });
}
