/**
 * Fail closed when the store fails; events and errors never carry a token or session data;
 * a throwing listener never breaks a request.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { StoreUnavailableError } from '../../src/errors.ts';
import {
  CHROME_WINDOWS,
  FIREFOX_LINUX,
  type Harness,
  harness,
  MINUTE,
  SECOND,
  STORE_KINDS,
  tokenForms,
} from '../helpers/engine.ts';

for (const kind of STORE_KINDS) {
  describe(`store failure fails closed (${kind})`, () => {
    let h: Harness | undefined;
    afterEach(() => h?.close());

    const isUnavailable = (err: unknown) => {
      assert.ok(err instanceof StoreUnavailableError, String(err));
      assert.equal(err.code, 'STORE_UNAVAILABLE');
      assert.equal(err.status, 503);
      assert.ok(err.cause instanceof Error, 'the backend error is kept as the cause');
      return true;
    };

    test('validate rejects with STORE_UNAVAILABLE when get fails — never a session', async () => {
      h = harness(kind);
      const u = await h.manager.login(null, 'alice');
      h.store.failing.add('get');
      await assert.rejects(h.manager.validate(u.token), isUnavailable);
      h.store.failing.clear();
      assert.ok((await h.manager.validate(u.token)).ok, 'recovers when the store is back');
    });

    test('validate of an unknown token rejects when the tombstone look-up fails', async () => {
      h = harness(kind);
      const u = await h.manager.login(null, 'alice');
      await h.manager.logout(u.session);
      h.store.failing.add('getTombstone');
      await assert.rejects(h.manager.validate(u.token), isUnavailable);
    });

    test('a failing touch, rotate or expiry delete fails the request rather than passing it', async () => {
      h = harness(kind, { touchInterval: '1m', renewalInterval: '15m', idleTimeout: '30m' });
      const u = await h.manager.login(null, 'alice');
      h.clock.advance(2 * MINUTE);
      h.store.failing.add('touch');
      await assert.rejects(h.manager.validate(u.token), isUnavailable);
      h.store.failing.clear();
      h.clock.advance(14 * MINUTE);
      h.store.failing.add('rotate');
      await assert.rejects(h.manager.validate(u.token), isUnavailable);
      h.store.failing.clear();
      h.clock.advance(31 * MINUTE);
      h.store.failing.add('delete');
      await assert.rejects(h.manager.validate(u.token), isUnavailable);
    });

    test('create, login, logout, updateData and revokeAllForUser surface STORE_UNAVAILABLE', async () => {
      h = harness(kind);
      const u = await h.manager.login(null, 'alice');
      h.store.failing.add('*');
      await assert.rejects(h.manager.create(), isUnavailable);
      await assert.rejects(h.manager.login(null, 'bob'), isUnavailable);
      await assert.rejects(h.manager.login(u.session, 'alice'), isUnavailable);
      await assert.rejects(h.manager.setData(u.session, { a: 1 }), isUnavailable);
      await assert.rejects(h.manager.logout(u.session), isUnavailable);
      await assert.rejects(h.manager.revokeAllForUser('alice'), isUnavailable);
      await assert.rejects(h.manager.listForUser('alice'), isUnavailable);
      await assert.rejects(h.manager.sweep(), isUnavailable);
    });
  });

  describe(`no token or data in events and errors (${kind})`, () => {
    let h: Harness | undefined;
    afterEach(() => h?.close());

    test('a full lifecycle: every event and error is free of tokens and data', async () => {
      h = harness(kind, {
        renewalInterval: '15m',
        reuseGrace: '5s',
        maxDataBytes: 1024,
        maxSessionsPerUser: 2,
        binding: { userAgent: 'step-up', ipPrefix: 'monitor' },
        creationRateLimit: { points: 4, window: '1m' },
      });
      const { manager, clock, store, events } = h;
      const SECRET = 'SECRET-CART-4111111111111111';
      const tokens: string[] = [];
      const errors: unknown[] = [];
      const attempt = async (fn: () => Promise<unknown> | unknown) => {
        try {
          await fn();
        } catch (err) {
          errors.push(err);
        }
      };
      const ctx = { ip: '203.0.113.7', userAgent: FIREFOX_LINUX };
      const anon = await manager.create(ctx, { cart: [SECRET] });
      tokens.push(anon.token);
      await manager.validate(anon.token, ctx);
      const user = await manager.login(anon.session, 'alice', {}, ctx);
      tokens.push(user.token);
      await manager.updateData<{ cart: string[] }>(user.session, (d) => ({
        cart: [...(d?.cart ?? []), `${SECRET}-2`],
      }));
      await attempt(() => manager.setData(user.session, { blob: SECRET.repeat(100) }));
      clock.advance(16 * MINUTE);
      const renewed = await manager.validate(user.token, { ip: '198.51.100.9', userAgent: CHROME_WINDOWS });
      assert.ok(renewed.ok && renewed.token);
      tokens.push(renewed.token);
      await attempt(() => manager.requireFresh(renewed.session));
      await manager.validate(user.token, ctx);
      await manager.validate(renewed.token, { ip: '198.51.100.9', userAgent: CHROME_WINDOWS });
      clock.advance(6 * SECOND);
      await manager.validate(user.token, ctx); // reuse → family revoked
      await attempt(() => manager.updateData(renewed.session, () => ({ x: SECRET })));
      const second = await manager.login(null, 'alice', {}, ctx);
      const third = await manager.login(null, 'alice', {}, ctx);
      const fourth = await manager.login(null, 'alice', {}, ctx); // evicts
      tokens.push(second.token, third.token, fourth.token);
      await manager.validate(`${fourth.token.slice(0, 42)}B`, ctx);
      await manager.validate(fourth.token.slice(0, 40), ctx);
      const csrf = manager.csrfToken(fourth.session);
      tokens.push(csrf);
      manager.verifyCsrfToken(fourth.session, csrf.replace(/.$/, 'x'));
      for (let i = 0; i < 6; i++)
        await attempt(async () => tokens.push((await manager.create({ ip: '192.0.2.1' })).token));
      store.failing.add('get');
      await attempt(() => manager.validate(fourth.token, ctx));
      store.failing.clear();
      await attempt(async () => manager.reauthenticate((await manager.create()).session));
      await manager.revokeAllForUser('alice');
      clock.advance(13 * 60 * MINUTE);
      await manager.validate(fourth.token, ctx);

      const types = new Set(events.map((e) => e.type));
      for (const t of [
        'session.created',
        'session.authenticated',
        'session.rotated',
        'session.reuse',
        'session.revoked',
        'session.binding_mismatch',
        'session.invalid_token',
        'session.rate_limited',
        'session.limit_reached',
      ]) {
        assert.ok(types.has(t as never), `lifecycle produced ${t}`);
      }
      assert.ok(errors.length >= 5, `collected ${errors.length} errors`);
      const texts = [
        ...events.map((e) => JSON.stringify(e)),
        ...errors.flatMap((e) => [
          String(e),
          JSON.stringify(e),
          (e as Error).stack ?? '',
          String((e as Error).cause ?? ''),
        ]),
      ];
      const forbidden = [...tokens.flatMap(tokenForms), SECRET, ...tokens.map((t) => t.slice(0, 16))];
      for (const text of texts) {
        for (const f of forbidden) assert.ok(!text.includes(f), `leak in: ${text.slice(0, 120)}`);
      }
      // The hashed id is what events carry.
      assert.ok(events.some((e) => e.sessionId === user.session.id));
    });

    test('a listener that throws never breaks a request', async () => {
      const warnings: string[] = [];
      h = harness(kind, { logger: { warn: (m) => warnings.push(m) } });
      h.manager.events.on('session.created', () => {
        throw new Error('listener bug');
      });
      const s = await h.manager.create();
      assert.ok((await h.manager.validate(s.token)).ok);
      assert.equal(warnings.length, 1);
      assert.ok(!warnings[0]!.includes(s.token));
    });
  });
}
