/**
 * Every lifecycle step emits its typed event with time, hashed id, user, address and agent — and
 * nothing that could be replayed (no token in any form, no session data).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { sessionIdFromToken } from '../../src/crypto/token.ts';
import type { SessionEvent } from '../../src/engine/events.ts';
import {
  CHROME_WINDOWS,
  FIREFOX_LINUX,
  type Harness,
  harness,
  MINUTE,
  SECOND,
  tokenForms,
} from '../helpers/engine.ts';

const A = { ip: '203.0.113.7', userAgent: FIREFOX_LINUX };
const B = { ip: '198.51.100.9', userAgent: FIREFOX_LINUX };
const C = { ip: '192.0.2.50', userAgent: CHROME_WINDOWS };

function only<T extends SessionEvent['type']>(events: SessionEvent[], type: T) {
  return events.filter((e): e is Extract<SessionEvent, { type: T }> => e.type === type);
}

describe('lifecycle events', () => {
  let h: Harness | undefined;
  afterEach(() => h?.close());

  test('a full life emits every step, each with time, hashed id, user, address and agent', async () => {
    h = harness('memory', {
      touchInterval: '1m',
      renewalInterval: '15m',
      binding: { userAgent: 'revoke', ipPrefix: 'step-up' },
      maxSessionsPerUser: 1,
    });
    const { manager, clock, events } = h;
    const tokens: string[] = [];
    const anon = await manager.create(A, { cart: ['secret-cart-item'] });
    tokens.push(anon.token);
    const user = await manager.login(anon.session, 'alice', {}, A);
    tokens.push(user.token);
    clock.advance(2 * MINUTE);
    assert.ok((await manager.validate(user.token, A)).ok); // touch
    clock.advance(14 * MINUTE);
    const renewed = await manager.validate(user.token, A); // renewal
    assert.ok(renewed.ok && renewed.token);
    tokens.push(renewed.token);
    const stepped = await manager.validate(renewed.token, B); // ip-prefix mismatch → step-up
    assert.ok(stepped.ok && stepped.session.stepUpRequired);
    const re = await manager.reauthenticate(stepped.session, {}, B);
    tokens.push(re.token);
    clock.advance(10 * SECOND);
    await manager.validate(user.token, C); // replay of a renewed-away token after the grace → reuse
    const second = await manager.login(null, 'alice', {}, A);
    tokens.push(second.token);
    const third0 = await manager.login(null, 'alice', {}, A); // limit 1 → evicts the second
    tokens.push(third0.token);
    await manager.validate('x'.repeat(43), A); // unknown
    await manager.validate('not a token', A); // malformed
    const third = await manager.login(null, 'bob', {}, A);
    tokens.push(third.token);
    await manager.revoke(third.session.id, { actorId: 'admin-7' });
    const fourth = await manager.login(null, 'carol', {}, A);
    clock.advance(31 * MINUTE);
    assert.equal((await manager.validate(fourth.token, A)).ok, false); // expired

    const types = new Set(events.map((e) => e.type));
    for (const t of [
      'session.created',
      'session.authenticated',
      'session.touched',
      'session.rotated',
      'session.binding_mismatch',
      'session.step_up',
      'session.limit_reached',
      'session.revoked',
      'session.invalid_token',
      'session.reuse',
      'session.admin_action',
      'session.expired',
    ] as const)
      assert.ok(types.has(t), `missing ${t}`);

    for (const e of events) {
      assert.equal(typeof e.at, 'number');
      assert.ok('userAgent' in e, `${e.type} carries the user agent field`);
      if (e.sessionId !== null) assert.match(e.sessionId, /^[A-Za-z0-9_-]{43}$/);
      const text = JSON.stringify(e);
      assert.ok(!text.includes('secret-cart-item'), `${e.type} carries session data`);
      for (const t of tokens)
        for (const form of tokenForms(t)) assert.ok(!text.includes(form), `${e.type} leaks a token`);
    }
    const created = only(events, 'session.created')[0]!;
    assert.equal(created.sessionId, sessionIdFromToken(anon.token));
    assert.equal(created.ip, A.ip);
    assert.equal(created.userAgent, A.userAgent);

    const stepUps = only(events, 'session.step_up');
    assert.deepEqual(
      stepUps.map((e) => `${e.phase}:${e.cause}`),
      ['required:binding', 'completed:reauthenticate'],
    );
    const mismatch = only(events, 'session.binding_mismatch')[0]!;
    assert.equal(mismatch.previousIp, A.ip);
    assert.equal(mismatch.ip, B.ip);

    const evicted = only(events, 'session.revoked').find((e) => e.reason === 'evicted')!;
    assert.equal(evicted.actor, 'system');
    const admin = only(events, 'session.revoked').find((e) => e.actor === 'admin')!;
    assert.equal(admin.actorId, 'admin-7');
    const action = only(events, 'session.admin_action')[0]!;
    assert.deepEqual(
      [action.action, action.actorId, action.targetUserId, action.count],
      ['revoke', 'admin-7', 'bob', 1],
    );

    const reuse = only(events, 'session.reuse')[0]!;
    assert.equal(reuse.ip, C.ip, 'the replaying party');
    assert.equal(reuse.userAgent, C.userAgent);
    assert.ok(reuse.holders && reuse.holders.length === 1, 'the other party: the live session of the family');
    assert.equal(reuse.holders[0]!.ip, B.ip);
    assert.match(reuse.holders[0]!.agent ?? '', /Firefox/);
  });

  test('logout is the user, revokeAllForUser by an admin also emits an admin action', async () => {
    h = harness('sqlite');
    const a = await h.manager.login(null, 'dana', {}, A);
    await h.manager.login(null, 'dana', {}, { ...A, userAgent: CHROME_WINDOWS });
    await h.manager.logout(a.session, A);
    const n = await h.manager.revokeAllForUser('dana', { actor: 'admin', actorId: 'root' });
    assert.equal(n, 1);
    const revoked = only(h.events, 'session.revoked');
    assert.deepEqual(
      revoked.map((e) => [e.reason, e.actor]),
      [
        ['logout', 'user'],
        ['revoked-all', 'admin'],
      ],
    );
    const action = only(h.events, 'session.admin_action')[0]!;
    assert.equal(action.action, 'revoke-all');
    assert.equal(action.count, 1);
  });

  test('requireStepUp flags a session once; evictAnonymous leaves users alone and a short tombstone', async () => {
    h = harness('memory');
    const u = await h.manager.login(null, 'erin', {}, A);
    assert.equal(await h.manager.requireStepUp(u.session.id), true);
    assert.equal(await h.manager.requireStepUp(u.session.id), false, 'already flagged');
    const v = await h.manager.validate(u.token, A);
    assert.ok(v.ok && v.session.stepUpRequired);
    assert.throws(() => h!.manager.requireFresh(v.session));
    assert.equal(
      await h.manager.evictAnonymous(u.session.id),
      false,
      'an authenticated session is never evicted',
    );
    const anon = await h.manager.create(A);
    assert.equal(await h.manager.evictAnonymous(anon.session.id), true);
    assert.equal((await h.manager.validate(anon.token, A)).ok, false);
    h.clock.advance(10 * SECOND);
    assert.equal(await h.manager.sweep(), 1, 'the evicted tombstone is gone after the grace window');
  });

  test('with no listener, the engine builds no events', async () => {
    h = harness('memory');
    const off = h.manager.events.on('session.created', () => {});
    assert.equal(h.manager.events.active, true);
    off();
    // The harness's '*' listener is still there.
    assert.equal(h.manager.events.active, true);
  });
});
