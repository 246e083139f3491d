/** Step-up freshness window and the per-user concurrent-session limit. */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { IssuedSession } from '../../src/engine/session-manager.ts';
import { ReauthRequiredError, SessionLimitError } from '../../src/errors.ts';
import { type Harness, harness, MINUTE, STORE_KINDS } from '../helpers/engine.ts';

for (const kind of STORE_KINDS) {
  describe(`step-up (${kind})`, () => {
    let h: Harness | undefined;
    afterEach(() => h?.close());

    test('requireFresh passes within stepUpMaxAge, throws REAUTH_REQUIRED past it, passes after reauthenticate', async () => {
      h = harness(kind, { stepUpMaxAge: '5m', renewalInterval: '1h' });
      const { manager, clock } = h;
      const u = await manager.login(null, 'alice');
      clock.advance(5 * MINUTE);
      const fresh = await manager.validate(u.token);
      assert.ok(fresh.ok);
      assert.doesNotThrow(() => manager.requireFresh(fresh.session));
      clock.advance(1);
      const stale = await manager.validate(u.token);
      assert.ok(stale.ok);
      assert.throws(
        () => manager.requireFresh(stale.session),
        (err: unknown) =>
          err instanceof ReauthRequiredError && err.code === 'REAUTH_REQUIRED' && err.status === 401,
      );
      assert.doesNotThrow(() => manager.requireFresh(stale.session, 10 * MINUTE), 'a per-action maxAge');
      const again = await manager.reauthenticate(stale.session, { authLevel: 2 });
      assert.notEqual(again.token, u.token, 're-authentication rotates');
      assert.equal(again.session.authLevel, 2);
      assert.doesNotThrow(() => manager.requireFresh(again.session));
      assert.deepEqual(await manager.validate(u.token), { ok: false, reason: 'revoked' });
      const v = await manager.validate(again.token);
      assert.ok(v.ok);
      assert.doesNotThrow(() => manager.requireFresh(v.session));
    });

    test('reauthenticate never lowers the auth level', async () => {
      h = harness(kind);
      const u = await h.manager.login(null, 'alice', { authLevel: 2 });
      const again = await h.manager.reauthenticate(u.session, { authLevel: 1 });
      assert.equal(again.session.authLevel, 2);
    });

    test('an anonymous session is never fresh and cannot step up', async () => {
      h = harness(kind);
      const anon = await h.manager.create();
      assert.throws(() => h!.manager.requireFresh(anon.session), ReauthRequiredError);
      await assert.rejects(h.manager.reauthenticate(anon.session), ReauthRequiredError);
    });
  });

  describe(`concurrent-session limit (${kind})`, () => {
    let h: Harness | undefined;
    afterEach(() => h?.close());

    test('evict-oldest: the oldest session is revoked to make room', async () => {
      h = harness(kind, { maxSessionsPerUser: 2, onSessionLimit: 'evict-oldest' });
      const { manager, clock, events } = h;
      const s1 = await manager.login(null, 'alice');
      clock.advance(MINUTE);
      const s2 = await manager.login(null, 'alice');
      clock.advance(MINUTE);
      const bob = await manager.login(null, 'bob');
      const s3 = await manager.login(null, 'alice');
      assert.deepEqual(await manager.validate(s1.token), { ok: false, reason: 'revoked' });
      for (const t of [s2.token, s3.token, bob.token]) assert.ok((await manager.validate(t)).ok);
      assert.equal((await manager.listForUser('alice')).length, 2);
      assert.equal((await h.store.inner.getTombstone(s1.session.id))?.reason, 'evicted');
      const ev = events.find((e) => e.type === 'session.limit_reached');
      assert.ok(ev && ev.type === 'session.limit_reached' && ev.limit === 2 && ev.action === 'evict-oldest');
    });

    test('reject: the new login fails with SESSION_LIMIT_REACHED and the existing sessions live on', async () => {
      h = harness(kind, { maxSessionsPerUser: 2, onSessionLimit: 'reject' });
      const { manager } = h;
      const s1 = await manager.login(null, 'alice');
      const s2 = await manager.login(null, 'alice');
      const anon = await manager.create();
      await assert.rejects(
        manager.login(anon.session, 'alice'),
        (err: unknown) => err instanceof SessionLimitError && err.code === 'SESSION_LIMIT_REACHED',
      );
      assert.ok((await manager.validate(anon.token)).ok, 'the refused login changed nothing');
      for (const t of [s1.token, s2.token]) assert.ok((await manager.validate(t)).ok);
      assert.equal((await manager.listForUser('alice')).length, 2);
      const v = await manager.validate(s1.token);
      assert.ok(v.ok);
      await manager.logout(v.session);
      await manager.login(null, 'alice');
      assert.equal((await manager.listForUser('alice')).length, 2);
    });

    test('evict-oldest under racing logins: the limit holds; the newest stay, the others fail cleanly', async () => {
      h = harness(kind, { maxSessionsPerUser: 2, onSessionLimit: 'evict-oldest' });
      const { manager, clock } = h;
      const old = await manager.login(null, 'alice');
      clock.advance(MINUTE);
      // Each login checks the limit before its write; all five see room for one more (and, on the
      // frozen clock, all five are created in the same millisecond).
      const { granted, refused } = await raceLogins(manager, 'alice', 5);
      assert.equal((await manager.listForUser('alice')).length, 2, 'the limit holds after the race');
      assert.deepEqual(await manager.validate(old.token), { ok: false, reason: 'revoked' });
      assert.equal(granted.length, 2, 'the two that stay are the logins that succeeded');
      for (const g of granted) assert.ok((await manager.validate(g.token)).ok, 'a granted login is usable');
      assert.equal(refused.length, 3);
      for (const err of refused) assert.ok(err instanceof SessionLimitError, String(err));
    });

    test('reject under racing logins: the limit holds, existing sessions live on, refusals are clean', async () => {
      h = harness(kind, { maxSessionsPerUser: 2, onSessionLimit: 'reject' });
      const { manager, clock } = h;
      const first = await manager.login(null, 'alice');
      clock.advance(MINUTE);
      // One slot is left, and all four logins see it before any of them writes.
      const { granted, refused } = await raceLogins(manager, 'alice', 4);
      assert.ok(granted.length <= 1, `at most the one free slot is granted (got ${granted.length})`);
      assert.equal(granted.length + refused.length, 4);
      for (const err of refused) assert.ok(err instanceof SessionLimitError, String(err));
      const live = await manager.listForUser('alice');
      assert.equal(live.length, 1 + granted.length, 'no refused login left a session behind');
      assert.ok((await manager.validate(first.token)).ok, 'the session that was there first lives on');
      for (const g of granted) assert.ok((await manager.validate(g.token)).ok);
      // Once the race is over, the free slot is there to take.
      if (granted.length === 0) assert.ok((await manager.login(null, 'alice')).token);
      await assert.rejects(manager.login(null, 'alice'), SessionLimitError);
    });

    test('expired sessions do not count against the limit', async () => {
      h = harness(kind, { maxSessionsPerUser: 1, onSessionLimit: 'reject', idleTimeout: '30m' });
      await h.manager.login(null, 'alice');
      h.clock.advance(31 * MINUTE);
      const s2 = await h.manager.login(null, 'alice');
      assert.ok((await h.manager.validate(s2.token)).ok);
    });
  });
}

/** Starts `n` logins of one user at once and sorts out which were granted and which refused. */
async function raceLogins(
  manager: Harness['manager'],
  userId: string,
  n: number,
): Promise<{ granted: IssuedSession[]; refused: unknown[] }> {
  const results = await Promise.allSettled(Array.from({ length: n }, () => manager.login(null, userId)));
  return {
    granted: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
    refused: results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : [])),
  };
}
