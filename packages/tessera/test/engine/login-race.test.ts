/**
 * Login always ends the previous session (issue #8, item 4), also when its compare-and-set loses
 * to a concurrent write of the anonymous session (a cart update racing the login) or to a
 * concurrent renewal: the pre-login token never keeps working, and its later replay is caught.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { type Harness, harness, MINUTE, SECOND, STORE_KINDS } from '../helpers/engine.ts';

for (const kind of STORE_KINDS) {
  describe(`login racing a write of the anonymous session (${kind})`, () => {
    let h: Harness;
    afterEach(() => h?.close());

    test('a cart update between validation and login: the pre-login token dies, the fresh cart is carried', async () => {
      h = harness(kind);
      const { manager, clock, events } = h;
      const anon = await manager.create({}, { cart: ['apple'] });
      const seenByLogin = await manager.validate(anon.token);
      const seenByCart = await manager.validate(anon.token);
      assert.ok(seenByLogin.ok && seenByCart.ok);
      await manager.updateData<{ cart: string[] }>(seenByCart.session, (d) => ({
        cart: [...(d?.cart ?? []), 'pear'],
      }));
      const user = await manager.login(seenByLogin.session, 'alice');
      assert.deepEqual(
        await manager.validate(anon.token),
        { ok: false, reason: 'revoked' },
        'the pre-login token is dead',
      );
      assert.deepEqual(
        manager.readData(user.session),
        { cart: ['apple', 'pear'] },
        'the fresh cart is carried',
      );
      clock.advance(6 * SECOND);
      assert.deepEqual(
        await manager.validate(anon.token),
        { ok: false, reason: 'reuse' },
        'a later replay is an alarm',
      );
      assert.equal(events.filter((e) => e.type === 'session.reuse').length, 1);
    });

    test('a renewal between validation and login: neither the pre-login token nor its successor survives', async () => {
      h = harness(kind);
      const { manager, clock } = h;
      const anon = await manager.create({}, { cart: ['apple'] });
      const seenByLogin = await manager.validate(anon.token);
      assert.ok(seenByLogin.ok);
      clock.advance(16 * MINUTE);
      const renewed = await manager.validate(anon.token); // another tab's request renews meanwhile
      assert.ok(renewed.ok && renewed.token);
      const user = await manager.login(seenByLogin.session, 'alice');
      assert.ok((await manager.validate(user.token)).ok);
      assert.equal((await manager.validate(anon.token)).ok, false, 'the pre-login token is dead');
      assert.equal((await manager.validate(renewed.token)).ok, false, 'its renewed successor too');
    });

    test('a logout racing the login: the login still succeeds with a new session, the old token stays dead', async () => {
      h = harness(kind);
      const { manager } = h;
      const anon = await manager.create({}, { cart: ['apple'] });
      const v = await manager.validate(anon.token);
      assert.ok(v.ok);
      await manager.logout(v.session);
      const user = await manager.login(v.session, 'alice');
      assert.ok((await manager.validate(user.token)).ok);
      assert.equal((await manager.validate(anon.token)).ok, false);
    });
  });
}
