/**
 * A session whose data key left the key ring (issue #8, item 3): it is "no session" — ended with a
 * reason and an event — never an error on every request; login starts clean; validate() throws
 * only STORE_UNAVAILABLE; no key id reaches an error message.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { SessionManager } from '../../src/engine/session-manager.ts';
import { toProblem } from '../../src/http/problem.ts';
import { type Harness, harness, KEY_B, keys, MINUTE, STORE_KINDS } from '../helpers/engine.ts';

for (const kind of STORE_KINDS) {
  describe(`unreadable session data (${kind})`, () => {
    let h: Harness;
    afterEach(() => h?.close());

    /** A session written by an instance whose key ring held only the key `retired-key-7`. */
    const retiredSession = async (data: unknown = { cart: ['apple'] }) => {
      const old = new SessionManager({
        store: h.store,
        clock: h.clock,
        keys: keys(['retired-key-7', KEY_B]),
        creationRateLimit: false,
        logger: { warn: () => {} },
      });
      const anon = await old.create({}, data);
      const user = await old.login(null, 'alice');
      await old.setData(user.session, { secret: 'x' });
      return { anon, user };
    };

    test('validate: "no session" with reason unreadable, the record ended with a tombstone and an event', async () => {
      h = harness(kind);
      const { manager, events, store } = h;
      const { anon, user } = await retiredSession();
      for (const t of [anon.token, user.token]) {
        const r = await manager.validate(t);
        assert.deepEqual(r, { ok: false, reason: 'unreadable' });
      }
      assert.equal(await store.inner.get(user.session.id), null, 'the record is gone');
      assert.equal((await store.inner.getTombstone(user.session.id))?.reason, 'unreadable');
      const ended = events.filter((e) => e.type === 'session.revoked' && e.reason === 'unreadable');
      assert.equal(ended.length, 2);
      assert.deepEqual(await manager.validate(user.token), { ok: false, reason: 'revoked' });
      for (const e of events) assert.doesNotMatch(JSON.stringify(e), /retired-key-7/);
    });

    test('login with such a session starts clean: new session, no data carried, no error', async () => {
      h = harness(kind);
      const { manager } = h;
      const { anon } = await retiredSession();
      // The app held the session object from before the key left (or loaded it some other way).
      const stale = await new SessionManager({
        store: h.store,
        clock: h.clock,
        keys: keys(['retired-key-7', KEY_B]),
        logger: { warn: () => {} },
      }).validate(anon.token);
      assert.ok(stale.ok);
      const logged = await manager.login(null, 'alice');
      assert.equal(manager.readData(logged.session), undefined);
    });

    test('a renewal that cannot re-seal the data ends the session instead of throwing', async () => {
      h = harness(kind);
      const { manager, clock, store } = h;
      const user = await manager.login(null, 'alice');
      const withData = await manager.setData(user.session, { n: 1 });
      // Data that does not open under a key that is in the ring (altered in the database).
      const rec = await store.inner.get(withData.id);
      assert.ok(rec?.data);
      const parts = rec.data.split('.');
      const body = Buffer.from(parts[3]!, 'base64url');
      body[0] = body[0]! ^ 1;
      const tampered = {
        ...rec,
        data: [...parts.slice(0, 3), body.toString('base64url')].join('.'),
        version: rec.version + 1,
      };
      assert.ok(await store.inner.update(tampered, rec.version));
      clock.advance(16 * MINUTE);
      assert.deepEqual(await manager.validate(user.token), { ok: false, reason: 'unreadable' });
    });
  });
}

test('problem documents of server-side failures carry no internal detail', async () => {
  const { SessionDataInvalidError, ConfigError } = await import('../../src/errors.ts');
  const p = toProblem(new SessionDataInvalidError("no key with id 'k9' in the key ring"));
  assert.equal(p.status, 500);
  assert.doesNotMatch(p.detail, /k9|key ring/);
  assert.doesNotMatch(toProblem(new ConfigError('keys', 'TESSERA_KEYS=…')).detail, /TESSERA_KEYS/);
});
