/**
 * Attacks on the token lifecycle: fixation, planted tokens, replay after logout and revoke-all,
 * and reuse of rotated-away tokens (renewal, privilege change, login).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { generateToken, sessionIdFromToken } from '../../src/crypto/token.ts';
import { engineUnderTest, type Harness, harness, MINUTE, SECOND, STORE_KINDS } from '../helpers/engine.ts';

for (const kind of STORE_KINDS) {
  describe(`fixation and replay (${kind})`, () => {
    let h: Harness;
    beforeEach(() => {
      h = harness(kind, { renewalInterval: '15m', reuseGrace: '5s' });
    });
    afterEach(() => h.close());

    test('fixation: the anonymous token does not survive login, and its data is carried over', async () => {
      const { manager, store } = h;
      const anon = await manager.create({}, { cart: ['book'] });
      const user = await manager.login(anon.session, 'alice');
      assert.notEqual(user.token, anon.token);
      assert.notEqual(user.session.id, anon.session.id);
      assert.equal(await store.inner.get(anon.session.id), null, 'pre-login record deleted');
      assert.equal((await store.inner.getTombstone(anon.session.id))?.reason, 'rotated-login');
      const old = await manager.validate(anon.token);
      assert.deepEqual(old, { ok: false, reason: 'revoked' }, 'no grace window for a login rotation');
      const now = await manager.validate(user.token);
      assert.ok(now.ok);
      assert.equal(now.session.userId, 'alice');
      assert.deepEqual(manager.readData(now.session), { cart: ['book'] });
    });

    test('fixation: the pre-login token replayed after login (past the grace window) revokes the family', async () => {
      const { manager, clock, events } = h;
      const anon = await manager.create();
      const user = await manager.login(anon.session, 'alice');
      clock.advance(6 * SECOND);
      assert.deepEqual(await manager.validate(anon.token), { ok: false, reason: 'reuse' });
      assert.equal(
        (await manager.validate(user.token)).ok,
        false,
        'the logged-in session dies with its family',
      );
      const reuse = events.find((e) => e.type === 'session.reuse');
      assert.ok(reuse && reuse.type === 'session.reuse');
      assert.equal(reuse.family, anon.session.id);
      assert.equal(reuse.revoked, 1);
    });

    test('planted token: a well-formed token nobody issued is never adopted', async () => {
      const { manager, store, events } = h;
      const planted = generateToken();
      assert.deepEqual(await manager.validate(planted), { ok: false, reason: 'unknown' });
      assert.equal(store.count('create'), 0);
      assert.equal(await store.inner.get(sessionIdFromToken(planted)), null);
      assert.ok(events.some((e) => e.type === 'session.invalid_token' && e.reason === 'unknown'));
      // The application then starts a session: it gets a fresh token, never the planted one.
      const fresh = await manager.create();
      const user = await manager.login(fresh.session, 'alice');
      for (const t of [fresh.token, user.token]) assert.notEqual(t, planted);
      assert.equal(await store.inner.get(sessionIdFromToken(planted)), null);
      assert.deepEqual(await manager.validate(planted), { ok: false, reason: 'unknown' });
    });

    test('an attacker who knows only the public session id cannot use it as a token', async () => {
      const { manager } = h;
      const user = await manager.login(null, 'alice');
      const asToken = await manager.validate(user.session.id);
      assert.equal(asToken.ok, false);
    });

    test('replay after logout: the token is dead, and stays dead', async () => {
      const { manager, clock } = h;
      const user = await manager.login(null, 'alice');
      const v = await manager.validate(user.token);
      assert.ok(v.ok);
      await manager.logout(v.session);
      for (const step of [0, 10 * SECOND, 20 * MINUTE]) {
        clock.advance(step);
        assert.deepEqual(await manager.validate(user.token), { ok: false, reason: 'revoked' });
      }
      assert.deepEqual(await manager.listForUser('alice'), []);
    });

    test('replay after revokeAllForUser: every other session of the user is dead; the kept one and other users live', async () => {
      const { manager } = h;
      const a1 = await manager.login(null, 'alice');
      const a2 = await manager.login(null, 'alice');
      const a3 = await manager.login(null, 'alice');
      const b = await manager.login(null, 'bob');
      assert.equal(await manager.revokeAllForUser('alice', { exceptSessionId: a2.session.id }), 2);
      assert.deepEqual(await manager.validate(a1.token), { ok: false, reason: 'revoked' });
      assert.deepEqual(await manager.validate(a3.token), { ok: false, reason: 'revoked' });
      assert.ok((await manager.validate(a2.token)).ok);
      assert.ok((await manager.validate(b.token)).ok);
      assert.equal(await manager.revokeAllForUser('alice'), 1);
      assert.deepEqual(await manager.validate(a2.token), { ok: false, reason: 'revoked' });
      assert.ok((await manager.validate(b.token)).ok);
    });

    test('admin revoke by public id ends the session', async () => {
      const { manager } = h;
      const u = await manager.login(null, 'alice');
      assert.equal(await manager.revoke(u.session.id), true);
      assert.equal(await manager.revoke(u.session.id), false);
      assert.deepEqual(await manager.validate(u.token), { ok: false, reason: 'revoked' });
    });

    test('reuse after renewal: replaying the old token past the grace window revokes the whole family', async () => {
      const { manager, clock, events } = h;
      const user = await manager.login(null, 'alice');
      clock.advance(15 * MINUTE);
      const renewed = await manager.validate(user.token);
      assert.ok(renewed.ok && renewed.token, 'periodic renewal issues a new token');
      assert.notEqual(renewed.token, user.token);
      assert.ok((await manager.validate(renewed.token)).ok, 'the victim presents the renewed token');
      clock.advance(5 * SECOND + 1);
      assert.deepEqual(await manager.validate(user.token), { ok: false, reason: 'reuse' });
      assert.equal((await manager.validate(renewed.token)).ok, false, 'the successor is revoked too');
      const reuse = events.filter((e) => e.type === 'session.reuse');
      assert.equal(reuse.length, 1);
      assert.deepEqual(await manager.listForUser('alice'), []);
    });

    test('reuse within the grace window: the successor, read-only, with no new token and no write', async () => {
      const { manager, clock, store } = h;
      const user = await manager.login(null, 'alice');
      const withData = await manager.setData(user.session, { n: 1 });
      clock.advance(16 * MINUTE);
      const renewed = await manager.validate(user.token);
      assert.ok(renewed.ok && renewed.token);
      clock.advance(2 * SECOND);
      store.reset();
      const inFlight = await manager.validate(user.token);
      assert.ok(inFlight.ok);
      assert.equal(inFlight.token, null, 'no second successor');
      assert.equal(inFlight.session.id, renewed.session.id);
      assert.deepEqual(manager.readData(inFlight.session), { n: 1 });
      assert.equal(store.writes, 0, 'read-only');
      assert.notEqual(withData.id, inFlight.session.id);
      assert.ok((await manager.validate(renewed.token)).ok, 'the rightful holder keeps the session');
    });

    test('privilege rotation: the old token stops at once (no grace) and its replay later revokes the family', async () => {
      const { manager, clock } = h;
      const user = await manager.login(null, 'alice');
      const v = await manager.validate(user.token);
      assert.ok(v.ok);
      const admin = await manager.rotate(v.session, { authLevel: 2 });
      assert.equal(admin.session.authLevel, 2);
      assert.deepEqual(await manager.validate(user.token), { ok: false, reason: 'revoked' });
      clock.advance(6 * SECOND);
      assert.deepEqual(await manager.validate(user.token), { ok: false, reason: 'reuse' });
      assert.equal((await manager.validate(admin.token)).ok, false);
    });

    test('rotating a session twice from the same snapshot fails the second time (no fork of the chain)', async () => {
      const { manager } = h;
      const user = await manager.login(null, 'alice');
      const v = await manager.validate(user.token);
      assert.ok(v.ok);
      await manager.rotate(v.session);
      await assert.rejects(manager.rotate(v.session), { code: 'SESSION_REVOKED' });
      assert.equal((await manager.listForUser('alice')).length, 1);
    });
  });
}

describe('revoke with an owner check', () => {
  test("a user can end their own device, never someone else's", async () => {
    const { manager } = engineUnderTest('memory');
    const alice = await manager.login(null, 'alice');
    const bob = await manager.login(null, 'bob');
    assert.equal(
      await manager.revoke(bob.session.id, { userId: 'alice' }),
      false,
      'alice cannot end bob’s session',
    );
    assert.equal((await manager.validate(bob.token)).ok, true, 'bob is still logged in');
    assert.equal(await manager.revoke(alice.session.id, { userId: 'alice' }), true);
    assert.deepEqual(await manager.validate(alice.token), { ok: false, reason: 'revoked' });
  });
});

describe('login as another user on a signed-in browser', () => {
  test("B's session starts its own family and gets none of A's data", async () => {
    const { manager, clock } = engineUnderTest('memory');
    const a = await manager.login(null, 'alice');
    const withData = await manager.setData(a.session, { secret: 'alice-only' });
    const b = await manager.login(withData, 'bob');
    assert.equal(manager.readData(b.session), undefined, 'no data crosses from alice to bob');
    const bob = await manager.validate(b.token);
    assert.equal(bob.ok && bob.session.userId, 'bob');
    // Replaying alice's rotated-away token past the grace window must not end bob's session (different family).
    clock.advance(60_000);
    assert.deepEqual(await manager.validate(a.token), { ok: false, reason: 'reuse' });
    assert.equal((await manager.validate(b.token)).ok, true);
  });
});
