/** Binding policies for the User-Agent family and the IP prefix: off, monitor, step-up, revoke. */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { BindingAction } from '../../src/engine/binding.ts';
import { ReauthRequiredError } from '../../src/errors.ts';
import {
  CHROME_WINDOWS,
  CHROME_WINDOWS_NEXT,
  FIREFOX_LINUX,
  FIREFOX_LINUX_NEXT,
  type Harness,
  harness,
  STORE_KINDS,
} from '../helpers/engine.ts';

const HOME = { ip: '203.0.113.7', userAgent: FIREFOX_LINUX };

for (const kind of STORE_KINDS) {
  describe(`binding (${kind})`, () => {
    let h: Harness | undefined;
    afterEach(() => h?.close());

    const setup = async (userAgent: BindingAction, ipPrefix: BindingAction) => {
      h = harness(kind, { binding: { userAgent, ipPrefix } });
      const u = await h.manager.login(null, 'alice', {}, HOME);
      h.events.length = 0;
      return { ...h, token: u.token, session: u.session };
    };
    const mismatches = () => h!.events.filter((e) => e.type === 'session.binding_mismatch');

    const cases: Array<['user-agent' | 'ip-prefix', { ip: string; userAgent: string }]> = [
      ['user-agent', { ip: HOME.ip, userAgent: CHROME_WINDOWS }],
      ['ip-prefix', { ip: '198.51.100.20', userAgent: FIREFOX_LINUX }],
    ];
    for (const [binding, stranger] of cases) {
      const policy = (a: BindingAction): [BindingAction, BindingAction] =>
        binding === 'user-agent' ? [a, 'off'] : ['off', a];

      test(`${binding}: off ignores a change`, async () => {
        const { manager, token } = await setup(...policy('off'));
        const v = await manager.validate(token, stranger);
        assert.ok(v.ok);
        assert.equal(v.session.stepUpRequired, false);
        assert.equal(mismatches().length, 0);
      });

      test(`${binding}: monitor lets the request through and reports it`, async () => {
        const { manager, token } = await setup(...policy('monitor'));
        const v = await manager.validate(token, stranger);
        assert.ok(v.ok);
        assert.equal(v.session.stepUpRequired, false);
        const ev = mismatches();
        assert.equal(ev.length, 1);
        assert.ok(
          ev[0]!.type === 'session.binding_mismatch' &&
            ev[0]!.binding === binding &&
            ev[0]!.action === 'monitor',
        );
      });

      test(`${binding}: step-up demands re-authentication before sensitive actions`, async () => {
        const { manager, token } = await setup(...policy('step-up'));
        const v = await manager.validate(token, stranger);
        assert.ok(v.ok);
        assert.equal(v.session.stepUpRequired, true);
        assert.throws(() => manager.requireFresh(v.session), ReauthRequiredError, 'even right after login');
        const later = await manager.validate(token, HOME);
        assert.ok(later.ok);
        assert.equal(later.session.stepUpRequired, true, 'the flag is stored, not per request');
        const again = await manager.reauthenticate(later.session, {}, stranger);
        assert.equal(again.session.stepUpRequired, false);
        const after = await manager.validate(again.token, stranger);
        assert.ok(after.ok);
        assert.equal(after.session.stepUpRequired, false, 're-bound to the new client');
        assert.doesNotThrow(() => manager.requireFresh(after.session));
      });

      test(`${binding}: revoke ends the session for everyone`, async () => {
        const { manager, token, events } = await setup(...policy('revoke'));
        assert.deepEqual(await manager.validate(token, stranger), { ok: false, reason: 'binding' });
        assert.deepEqual(await manager.validate(token, HOME), { ok: false, reason: 'revoked' });
        assert.ok(events.some((e) => e.type === 'session.revoked' && e.reason === 'binding'));
      });
    }

    test('a browser version bump is not a UA family change (revoke policy)', async () => {
      h = harness(kind, { binding: { userAgent: 'revoke', ipPrefix: 'off' } });
      for (const [first, next] of [
        [FIREFOX_LINUX, FIREFOX_LINUX_NEXT],
        [CHROME_WINDOWS, CHROME_WINDOWS_NEXT],
      ] as const) {
        const u = await h.manager.login(null, 'alice', {}, { userAgent: first });
        const v = await h.manager.validate(u.token, { userAgent: next });
        assert.ok(v.ok, next);
      }
      assert.equal(mismatches().length, 0);
    });

    test('a request without a User-Agent on a UA-bound session is a mismatch', async () => {
      const { manager, token } = await setup('revoke', 'off');
      assert.deepEqual(await manager.validate(token, { ip: HOME.ip }), { ok: false, reason: 'binding' });
    });

    test('same IPv4 /24, same IPv6 /48 and IPv4-mapped addresses are not a change (revoke policy)', async () => {
      const { manager, token } = await setup('off', 'revoke');
      for (const ip of ['203.0.113.200', '::ffff:203.0.113.9', '203.0.113.7']) {
        assert.ok((await manager.validate(token, { ip, userAgent: FIREFOX_LINUX })).ok, ip);
      }
      const u6 = await manager.login(null, 'bob', {}, { ip: '2001:db8:1:1::1' });
      assert.ok((await manager.validate(u6.token, { ip: '2001:db8:1:ffff::2' })).ok);
      assert.deepEqual(await manager.validate(u6.token, { ip: '2001:db8:2::1' }), {
        ok: false,
        reason: 'binding',
      });
    });

    test('defaults: UA family change revokes, IP prefix change is only monitored', async () => {
      h = harness(kind);
      const a = await h.manager.login(null, 'alice', {}, HOME);
      const moved = await h.manager.validate(a.token, { ip: '198.51.100.1', userAgent: FIREFOX_LINUX });
      assert.ok(moved.ok);
      assert.deepEqual(await h.manager.validate(a.token, { ip: HOME.ip, userAgent: CHROME_WINDOWS }), {
        ok: false,
        reason: 'binding',
      });
    });
  });
}
