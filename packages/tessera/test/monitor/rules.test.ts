/**
 * Each detection rule: one test that triggers it, one that shows normal traffic does not
 * (a laptop whose address changes within its /24, a browser upgrade within the same family).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, test } from 'node:test';
import { generateToken } from '../../src/crypto/token.ts';
import type { SessionManagerOptions } from '../../src/engine/options.ts';
import { isTesseraError } from '../../src/errors.ts';
import { createDetector, type Detector, type DetectorOptions } from '../../src/monitor/detector.ts';
import {
  CHROME_WINDOWS,
  CHROME_WINDOWS_NEXT,
  FIREFOX_LINUX,
  FIREFOX_LINUX_NEXT,
  type Harness,
  harness,
  MINUTE,
  SECOND,
} from '../helpers/engine.ts';

const HOME = { ip: '203.0.113.7', userAgent: FIREFOX_LINUX };

describe('detection rules', () => {
  let h: Harness | undefined;
  let d: Detector | undefined;
  afterEach(() => {
    d?.stop();
    h?.close();
  });
  const setup = (engine: Partial<SessionManagerOptions> = {}, rules: DetectorOptions['rules'] = {}) => {
    h = harness('memory', engine);
    d = createDetector(h.manager, { rules, onError: (e) => assert.fail(String(e)) });
    return { manager: h.manager, clock: h.clock, detector: d };
  };
  const detections = async () => {
    await d!.settle();
    return d!.list({ limit: 1000 });
  };

  test('reuse: a replayed rotated-away token raises a detection naming both parties', async () => {
    const { manager, clock } = setup();
    const a = await manager.login(null, 'alice', {}, HOME);
    clock.advance(16 * MINUTE);
    const renewed = await manager.validate(a.token, HOME);
    assert.ok(renewed.ok && renewed.token);
    // The victim's browser presents the renewed token: from now on the old one is a replay.
    assert.ok((await manager.validate(renewed.token, HOME)).ok);
    clock.advance(10 * SECOND);
    const thief = { ip: '192.0.2.66', userAgent: CHROME_WINDOWS };
    assert.equal((await manager.validate(a.token, thief)).ok, false);
    const [det] = await detections();
    assert.equal(det?.rule, 'reuse');
    assert.equal(det.severity, 'high');
    const replayer = det.parties.find((p) => p.role === 'replayer')!;
    const holder = det.parties.find((p) => p.role === 'holder')!;
    assert.deepEqual([replayer.ip, replayer.agent], [thief.ip, thief.userAgent]);
    assert.equal(holder.ip, HOME.ip);
    assert.match(holder.agent ?? '', /Firefox/);
  });

  test('reuse, no false positive: a request in flight with the just-renewed token (within grace)', async () => {
    const { manager, clock } = setup();
    const a = await manager.login(null, 'alice', {}, HOME);
    clock.advance(16 * MINUTE);
    assert.ok((await manager.validate(a.token, HOME)).ok);
    clock.advance(2 * SECOND);
    assert.ok((await manager.validate(a.token, HOME)).ok, 'served within the grace window');
    assert.deepEqual(await detections(), []);
  });

  test('binding mismatch: another browser family on the session is detected', async () => {
    const { manager } = setup({ binding: { userAgent: 'monitor' } });
    const a = await manager.login(null, 'bob', {}, HOME);
    await manager.validate(a.token, { ip: HOME.ip, userAgent: CHROME_WINDOWS });
    const [det] = await detections();
    assert.equal(det?.rule, 'binding-mismatch');
    assert.equal(det.details.binding, 'user-agent');
  });

  test('binding mismatch, no false positive: a browser upgrade within the same family', async () => {
    const { manager } = setup();
    const a = await manager.login(null, 'bob', {}, HOME);
    const c = await manager.login(null, 'carl', {}, { ip: HOME.ip, userAgent: CHROME_WINDOWS });
    assert.ok((await manager.validate(a.token, { ip: HOME.ip, userAgent: FIREFOX_LINUX_NEXT })).ok);
    assert.ok((await manager.validate(c.token, { ip: HOME.ip, userAgent: CHROME_WINDOWS_NEXT })).ok);
    assert.deepEqual(await detections(), []);
  });

  test('binding mismatch actions: step-up flags the session, revoke ends it, off does nothing', async () => {
    for (const action of ['step-up', 'revoke', 'off'] as const) {
      d?.stop();
      h?.close();
      const { manager } = setup({ binding: { userAgent: 'monitor' } }, { bindingMismatch: { action } });
      const a = await manager.login(null, 'bob', {}, HOME);
      await manager.validate(a.token, { ip: HOME.ip, userAgent: CHROME_WINDOWS });
      const found = await detections();
      const after = await manager.validate(a.token, HOME);
      if (action === 'off') {
        assert.equal(found.length, 0);
        assert.ok(after.ok && !after.session.stepUpRequired);
      } else if (action === 'step-up') {
        assert.equal(found[0]?.action, 'step-up');
        assert.ok(after.ok && after.session.stepUpRequired);
      } else {
        assert.equal(found[0]?.action, 'revoke');
        assert.equal(after.ok, false);
      }
    }
  });

  test('distant networks: another /16 within the window is flagged', async () => {
    const { manager, clock } = setup();
    const a = await manager.login(null, 'dana', {}, HOME);
    clock.advance(5 * MINUTE);
    assert.ok((await manager.validate(a.token, { ip: '198.51.100.20', userAgent: FIREFOX_LINUX })).ok);
    const found = await detections();
    assert.deepEqual(
      found.map((x) => x.rule),
      ['distant-networks'],
    );
    assert.equal(found[0]!.details.from, '203.0.0.0/16');
    assert.equal(found[0]!.details.to, '198.51.0.0/16');
  });

  test('distant networks, IPv6: another /32 is flagged, another /48 within the /32 is not', async () => {
    const { manager } = setup();
    const a = await manager.login(null, 'dana', {}, { ip: '2001:db8:1::5', userAgent: FIREFOX_LINUX });
    assert.ok((await manager.validate(a.token, { ip: '2001:db8:2::9', userAgent: FIREFOX_LINUX })).ok);
    assert.deepEqual(await detections(), []);
    assert.ok((await manager.validate(a.token, { ip: '2a00:1450::1', userAgent: FIREFOX_LINUX })).ok);
    assert.deepEqual(
      (await detections()).map((x) => x.rule),
      ['distant-networks'],
    );
  });

  test('distant networks, no false positive: a laptop whose address changes within its /24 (and /16)', async () => {
    const { manager, clock } = setup();
    const a = await manager.login(null, 'erin', {}, HOME);
    for (const ip of ['203.0.113.8', '203.0.113.200', '203.0.113.7']) {
      clock.advance(2 * MINUTE);
      assert.ok((await manager.validate(a.token, { ip, userAgent: FIREFOX_LINUX })).ok);
    }
    // A different /24 in the same /16 (another access point of the same provider): no flag either.
    clock.advance(2 * MINUTE);
    assert.ok((await manager.validate(a.token, { ip: '203.0.77.1', userAgent: FIREFOX_LINUX })).ok);
    assert.deepEqual(await detections(), []);
  });

  test('distant networks, no false positive: a new network after the window has passed', async () => {
    const { manager, clock } = setup(
      { idleTimeout: '2h', absoluteTimeout: '12h' },
      { distantNetworks: { window: '30m' } },
    );
    const a = await manager.login(null, 'erin', {}, HOME);
    clock.advance(45 * MINUTE);
    const r = await manager.validate(a.token, { ip: '198.51.100.20', userAgent: FIREFOX_LINUX });
    assert.ok(r.ok);
    assert.deepEqual(await detections(), []);
  });

  test('invalid-token flood: the address is throttled, others are not', async () => {
    const { manager } = setup({}, { invalidTokenFlood: { points: 10, window: '1m' } });
    const legit = await manager.login(null, 'fay', {}, HOME);
    const attacker = { ip: '192.0.2.99', userAgent: 'curl/8' };
    let throttled = 0;
    for (let i = 0; i < 40; i++) {
      try {
        assert.equal((await manager.validate(generateToken(), attacker)).ok, false);
      } catch (err) {
        assert.ok(isTesseraError(err, 'RATE_LIMITED'), String(err));
        throttled++;
      }
      await new Promise((r) => setImmediate(r)); // the limiter answers asynchronously
    }
    assert.ok(throttled >= 25, `throttled ${throttled} of 40`);
    const found = await detections();
    assert.deepEqual(
      found.map((x) => x.rule),
      ['invalid-token-flood'],
      'raised once per block, not per request',
    );
    assert.ok(d!.throttledFor(attacker.ip) > 0);
    assert.ok((await manager.validate(legit.token, HOME)).ok, 'a user elsewhere is unaffected');
    // A request from the throttled address without a token still gets through (browsing, login page).
    assert.deepEqual(await manager.validate(null, attacker), { ok: false, reason: 'missing' });
    assert.ok(h!.events.some((e) => e.type === 'session.rate_limited' && e.scope === 'validate'));
  });

  test('invalid-token flood, no false positive: a few stale cookies from one address', async () => {
    const { manager } = setup({}, { invalidTokenFlood: { points: 10 } });
    for (let i = 0; i < 5; i++) await manager.validate(generateToken(), HOME);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(await detections(), []);
    assert.equal(d!.throttledFor(HOME.ip), 0);
  });

  test('anonymous flood: the cap evicts the oldest anonymous sessions, never a logged-in one', async () => {
    const { manager } = setup({}, { anonymousFlood: { maxAnonymous: 20 } });
    const early = await manager.create(HOME, { cart: 1 });
    const user = await manager.login(early.session, 'gus', {}, HOME); // was anonymous, now logged in
    const anon: string[] = [];
    for (let i = 0; i < 100; i++) anon.push((await manager.create({ ip: `192.0.2.${i % 250}` })).token);
    await d!.settle();
    const live = [];
    for (const t of anon) if ((await manager.validate(t)).ok) live.push(t);
    assert.equal(live.length, 20, 'exactly the cap survives');
    assert.deepEqual(live, anon.slice(-20), 'the newest stay, the oldest went');
    assert.ok((await manager.validate(user.token, HOME)).ok, 'the logged-in session survives');
    const found = await detections();
    assert.equal(found[0]?.rule, 'anonymous-flood');
  });

  test('anonymous flood, no false positive: below the cap nothing is evicted or reported', async () => {
    const { manager } = setup({}, { anonymousFlood: { maxAnonymous: 20 } });
    const tokens = [];
    for (let i = 0; i < 20; i++) tokens.push((await manager.create({ ip: '192.0.2.1' })).token);
    await d!.settle();
    for (const t of tokens) assert.ok((await manager.validate(t)).ok);
    assert.deepEqual(await detections(), []);
  });

  test('anonymous flood: the engine creation rate limit per address is reported once per window', async () => {
    const { manager } = setup({ creationRateLimit: { points: 5, window: '1m' } });
    let refused = 0;
    for (let i = 0; i < 20; i++) await manager.create({ ip: '192.0.2.5' }).catch(() => refused++);
    assert.equal(refused, 15);
    const found = await detections();
    assert.equal(found.length, 1);
    assert.equal(found[0]!.details.address, '192.0.2.5/32');
  });

  test('session limit: going over is recorded; staying within it is not', async () => {
    const { manager } = setup({ maxSessionsPerUser: 2 });
    await manager.login(null, 'hal', {}, HOME);
    await manager.login(null, 'hal', {}, HOME);
    assert.deepEqual(await detections(), [], 'two sessions: within the limit');
    await manager.login(null, 'hal', {}, HOME);
    const found = await detections();
    assert.deepEqual(
      found.map((x) => [x.rule, x.userId]),
      [['session-limit', 'hal']],
    );
  });

  test('detections carry no token, and the API lists and acknowledges them', async () => {
    const { manager, clock } = setup({ binding: { userAgent: 'monitor' } });
    const a = await manager.login(null, 'ivy', {}, HOME);
    await manager.validate(a.token, { ip: '198.51.100.1', userAgent: CHROME_WINDOWS });
    clock.advance(MINUTE);
    await manager.validate(randomBytes(32).toString('base64url'), HOME);
    const all = await detections();
    assert.equal(all.length, 2);
    assert.ok(!JSON.stringify(all).includes(a.token));
    const open = await d!.list({ acknowledged: false });
    assert.equal(open.length, 2);
    const acked = await d!.acknowledge(open[0]!.id, 'admin-1', 'known VPN');
    assert.deepEqual(acked?.acknowledged?.by, 'admin-1');
    assert.equal((await d!.list({ acknowledged: false })).length, 1);
    assert.equal((await d!.list({ rule: 'distant-networks' })).length, 1);
    assert.equal(await d!.acknowledge('nope', 'admin-1'), null);
  });
});
