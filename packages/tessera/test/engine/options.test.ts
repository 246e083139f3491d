/** Options validation: errors name the field (CONFIG_INVALID); durations accept '30m' and milliseconds. */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { SessionManagerOptions } from '../../src/engine/options.ts';
import { SessionManager } from '../../src/engine/session-manager.ts';
import { ConfigError } from '../../src/errors.ts';
import { memoryStore } from '../../src/stores/memory.ts';
import { KEY_A, keys } from '../helpers/engine.ts';

const base = (): SessionManagerOptions => ({
  store: memoryStore(),
  keys: keys(),
  logger: { warn: () => {} },
});
const make = (extra: Record<string, unknown>) =>
  new SessionManager({ ...base(), ...extra } as SessionManagerOptions);

function assertConfigError(extra: Record<string, unknown>, field: string) {
  assert.throws(
    () => make(extra),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.code, 'CONFIG_INVALID');
      assert.equal(err.field, field);
      assert.ok(err.message.includes(`\`${field}\``), err.message);
      return true;
    },
    `${JSON.stringify(extra)} should name ${field}`,
  );
}

describe('options validation', () => {
  const invalid: Array<[string, Record<string, unknown>, string]> = [
    ['idle not a duration', { idleTimeout: 'thirty minutes' }, 'idleTimeout'],
    ['idle negative', { idleTimeout: -5 }, 'idleTimeout'],
    ['idle zero', { idleTimeout: 0 }, 'idleTimeout'],
    ['idle Infinity', { idleTimeout: Number.POSITIVE_INFINITY }, 'idleTimeout'],
    ['absolute unit unknown', { absoluteTimeout: '12y' }, 'absoluteTimeout'],
    ['idle above absolute', { idleTimeout: '2h', absoluteTimeout: '1h' }, 'idleTimeout'],
    ['touch not below idle', { idleTimeout: '5m', touchInterval: '5m' }, 'touchInterval'],
    ['grace too long', { reuseGrace: '2m' }, 'reuseGrace'],
    ['renewal zero', { renewalInterval: '0s' }, 'renewalInterval'],
    ['remember-me idle', { rememberMe: { idleTimeout: 'soon' } }, 'rememberMe.idleTimeout'],
    ['remember-me unknown key', { rememberMe: { idle: '1d' } }, 'rememberMe'],
    ['session limit zero', { maxSessionsPerUser: 0 }, 'maxSessionsPerUser'],
    ['session limit fraction', { maxSessionsPerUser: 1.5 }, 'maxSessionsPerUser'],
    ['limit policy', { onSessionLimit: 'evict-newest' }, 'onSessionLimit'],
    ['UA policy', { binding: { userAgent: 'block' } }, 'binding.userAgent'],
    ['IP policy', { binding: { ipPrefix: true } }, 'binding.ipPrefix'],
    ['IPv4 bits', { binding: { ipv4PrefixBits: 33 } }, 'binding.ipv4PrefixBits'],
    ['data limit tiny', { maxDataBytes: 10 }, 'maxDataBytes'],
    ['rate limit points', { creationRateLimit: { points: 0, window: '1m' } }, 'creationRateLimit.points'],
    ['rate limit window', { creationRateLimit: { points: 5, window: 'often' } }, 'creationRateLimit.window'],
    ['clock', { clock: Date.now }, 'clock'],
    ['logger', { logger: console.log }, 'logger'],
    ['misspelt option', { idelTimeout: '30m' }, 'idelTimeout'],
    ['key length', { keys: [{ id: 'k1', key: Buffer.alloc(16) }] }, 'keys[0].key'],
    ['key id', { keys: [{ id: 'bad id!', key: KEY_A }] }, 'keys[0].id'],
    [
      'duplicate key id',
      {
        keys: [
          { id: 'k', key: KEY_A },
          { id: 'k', key: KEY_A },
        ],
      },
      'keys[1].id',
    ],
    ['key text', { keys: 'just-a-key' }, 'keys[0]'],
    ['no keys', { keys: [] }, 'keys'],
  ];
  for (const [label, extra, field] of invalid) {
    test(`${label} → CONFIG_INVALID naming \`${field}\``, () => assertConfigError(extra, field));
  }

  test('a missing or wrong store is named', () => {
    assert.throws(() => new SessionManager({ keys: keys() } as SessionManagerOptions), {
      code: 'CONFIG_INVALID',
      field: 'store',
    });
    assert.throws(() => new SessionManager({ store: {} } as SessionManagerOptions), {
      code: 'CONFIG_INVALID',
      field: 'store',
    });
  });

  test("durations: '30m', 1_800_000 and '0.5h' are the same; other units work", () => {
    for (const idleTimeout of ['30m', 1_800_000, '0.5h', '1800s', '1800000ms']) {
      assert.equal(make({ idleTimeout }).policy.idleMs, 1_800_000, String(idleTimeout));
    }
    const m = make({
      absoluteTimeout: '7d',
      rememberMe: { idleTimeout: '7d', absoluteTimeout: '30d' },
      reuseGrace: '250ms',
    });
    assert.equal(m.policy.absoluteMs, 7 * 86_400_000);
    assert.equal(m.policy.rememberAbsoluteMs, 30 * 86_400_000);
    assert.equal(m.policy.graceMs, 250);
  });

  test('defaults are the safe ones of DESIGN.md §4', () => {
    const p = make({}).policy;
    assert.equal(p.idleMs, 30 * 60_000);
    assert.equal(p.absoluteMs, 12 * 3_600_000);
    assert.equal(p.renewalMs, 15 * 60_000);
    assert.equal(p.stepUpMs, 5 * 60_000);
    assert.equal(p.maxSessionsPerUser, 50);
    assert.equal(p.onSessionLimit, 'evict-oldest');
    assert.deepEqual(p.loginPerAddress, { points: 100, windowMs: 15 * 60_000 });
    assert.deepEqual(p.loginPerAccount, { points: 10, windowMs: 15 * 60_000 });
    assert.equal(p.uaPolicy, 'revoke');
    assert.equal(p.ipPolicy, 'monitor');
    assert.equal(p.maxDataBytes, 4096);
    assert.ok(p.rateLimit && p.rateLimit.points > 0);
  });
});

describe('keys from the environment', () => {
  const saved = { keys: process.env.TESSERA_KEYS, env: process.env.NODE_ENV };
  afterEach(() => {
    for (const [k, v] of [
      ['TESSERA_KEYS', saved.keys],
      ['NODE_ENV', saved.env],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  test('production without a key refuses to start, naming `keys`', () => {
    delete process.env.TESSERA_KEYS;
    process.env.NODE_ENV = 'production';
    assert.throws(() => new SessionManager({ store: memoryStore() }), {
      code: 'CONFIG_INVALID',
      field: 'keys',
    });
  });

  test('development without a key generates one and says so loudly', () => {
    delete process.env.TESSERA_KEYS;
    process.env.NODE_ENV = 'development';
    const warnings: string[] = [];
    new SessionManager({ store: memoryStore(), logger: { warn: (m) => warnings.push(m) } });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /TESSERA_KEYS/);
  });

  test('TESSERA_KEYS is read (id:base64key, current first)', async () => {
    process.env.TESSERA_KEYS = `k2:${Buffer.alloc(32, 7).toString('base64')},k1:${KEY_A.toString('base64')}`;
    process.env.NODE_ENV = 'production';
    const m = new SessionManager({ store: memoryStore(), creationRateLimit: false });
    const { session } = await m.create({}, { x: 1 });
    assert.deepEqual(m.readData(session), { x: 1 });
  });
});
