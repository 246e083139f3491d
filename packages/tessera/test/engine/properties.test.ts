/**
 * Property-based tests (fast-check): token parsing never throws and accepts exactly the canonical
 * 43-character base64url spelling of 32 bytes; and no sequence of operations brings a revoked or
 * expired session back. Set FC_SEED to replay a failure.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { generateToken, isWellFormedToken, sessionIdFromToken } from '../../src/crypto/token.ts';
import type { ValidateResult } from '../../src/engine/session-manager.ts';
import {
  CHROME_WINDOWS,
  FIREFOX_LINUX,
  HOUR,
  harness,
  MINUTE,
  SECOND,
  STORE_KINDS,
} from '../helpers/engine.ts';

const seed = process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {};
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** An independent statement of "well-formed": 43 characters that decode to 32 bytes which re-encode to the same text. */
function reference(x: unknown): boolean {
  if (typeof x !== 'string' || x.length !== 43) return false;
  for (const ch of x) if (!ALPHABET.includes(ch)) return false;
  const bytes = Buffer.from(x, 'base64url');
  return bytes.length === 32 && bytes.toString('base64url') === x;
}

const wellFormed = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((b) => Buffer.from(b).toString('base64url'));
const nearMiss = fc
  .tuple(wellFormed, fc.nat(42), fc.constantFrom(...ALPHABET, '+', '/', '=', ' ', '.', 'é', '\0'))
  .map(([t, i, ch]) => t.slice(0, i) + ch + t.slice(i + 1));
const candidates = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: fc.constantFrom(...ALPHABET, '+', '/', '='), minLength: 41, maxLength: 45 }),
  wellFormed,
  nearMiss,
  wellFormed.map((t) => `${t}=`),
  fc.anything(),
);

describe('token parsing (property)', () => {
  test('isWellFormedToken agrees with the reference on arbitrary input and never throws', () => {
    fc.assert(
      fc.property(candidates, (x) => {
        assert.equal(isWellFormedToken(x), reference(x));
      }),
      { numRuns: 3000, ...seed },
    );
  });

  test('every 32-byte value encodes to a well-formed token; generated tokens are well-formed', () => {
    fc.assert(
      fc.property(wellFormed, (t) => isWellFormedToken(t)),
      { numRuns: 1000, ...seed },
    );
    for (let i = 0; i < 1000; i++) assert.ok(isWellFormedToken(generateToken()));
  });

  test('validate never throws on arbitrary input and never finds a session for a guess', async () => {
    const h = harness('memory');
    await h.manager.login(null, 'alice');
    await fc.assert(
      fc.asyncProperty(candidates, async (x) => {
        const r = await h.manager.validate(x as string);
        assert.equal(r.ok, false);
        if (!r.ok) {
          const expected =
            x === undefined || x === null || x === '' ? 'missing' : reference(x) ? 'unknown' : 'malformed';
          assert.equal(r.reason, expected);
        }
      }),
      { numRuns: 500, ...seed },
    );
    h.close();
  });
});

type Cmd =
  | { k: 'create' }
  | { k: 'login'; pick: number | null; user: number }
  | { k: 'validate'; pick: number; foreign: boolean }
  | { k: 'logout'; pick: number }
  | { k: 'revoke'; pick: number }
  | { k: 'revokeAll'; user: number }
  | { k: 'rotate'; pick: number }
  | { k: 'advance'; ms: number }
  | { k: 'sweep' };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { arbitrary: fc.constant({ k: 'create' as const }), weight: 2 },
  {
    arbitrary: fc.record({
      k: fc.constant('login' as const),
      pick: fc.option(fc.nat(), { nil: null }),
      user: fc.nat(2),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ k: fc.constant('validate' as const), pick: fc.nat(), foreign: fc.boolean() }),
    weight: 6,
  },
  { arbitrary: fc.record({ k: fc.constant('logout' as const), pick: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('revoke' as const), pick: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('revokeAll' as const), user: fc.nat(2) }), weight: 1 },
  { arbitrary: fc.record({ k: fc.constant('rotate' as const), pick: fc.nat() }), weight: 2 },
  {
    arbitrary: fc.record({
      k: fc.constant('advance' as const),
      ms: fc.constantFrom(1 * SECOND, 3 * SECOND, 6 * SECOND, 2 * MINUTE, 16 * MINUTE, 31 * MINUTE, 3 * HOUR),
    }),
    weight: 4,
  },
  { arbitrary: fc.constant({ k: 'sweep' as const }), weight: 1 },
);

interface Held {
  token: string;
  id: string;
  user: string | null;
  absolute: number;
  /** Dead for good: revoked, expired, rotated at login/privilege change, or seen failing once. */
  dead: boolean;
  /** The token that replaced this one by periodic renewal, if any. */
  successor: Held | null;
  /** When this token was first accepted as its own session (not via a predecessor). */
  seenAt: number | null;
}

/**
 * A renewed-away token works until a successor's token has been presented, then only within the
 * grace window after that first presentation.
 */
function firstSeen(x: Held): number | null {
  for (let s = x.successor; s; s = s.successor) if (s.seenAt !== null) return s.seenAt;
  return null;
}
function lastOf(x: Held): Held {
  let s = x;
  while (s.successor) s = s.successor;
  return s;
}

const GRACE = 5 * SECOND;
const IDLE = 30 * MINUTE;
const ABSOLUTE = 2 * HOUR;

for (const kind of STORE_KINDS) {
  test(`model: no sequence of operations brings a revoked or expired session back (${kind})`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 5, maxLength: 40, size: 'max' }), async (cmds) => {
        const h = harness(kind, {
          idleTimeout: IDLE,
          absoluteTimeout: ABSOLUTE,
          renewalInterval: '15m',
          touchInterval: '1m',
          reuseGrace: GRACE,
          binding: { userAgent: 'revoke', ipPrefix: 'monitor' },
        });
        const { manager, clock } = h;
        const held: Held[] = [];
        const home = { ip: '203.0.113.7', userAgent: FIREFOX_LINUX };
        const add = (token: string, user: string | null, absolute: number) => {
          const x: Held = {
            token,
            id: sessionIdFromToken(token),
            user,
            absolute,
            dead: false,
            successor: null,
            seenAt: null,
          };
          held.push(x);
          return x;
        };
        const owner = (sessionId: string) => held.find((x) => x.id === sessionId);
        const pickOf = (n: number) => (held.length === 0 ? undefined : held[n % held.length]);

        /** Validates and checks the result against the model; returns it. */
        const validate = async (x: Held, ctx = home): Promise<ValidateResult> => {
          const r = await manager.validate(x.token, ctx);
          const now = clock.t;
          if (r.ok) {
            assert.ok(!x.dead, `a dead token came back (${JSON.stringify(cmds)})`);
            const seen = firstSeen(x);
            assert.ok(
              seen === null || now - seen <= GRACE,
              'a renewed-away token worked after its successor was used and the grace window passed',
            );
            if (x.successor === null) x.seenAt ??= now;
            assert.ok(now < x.absolute, 'a session outlived its absolute deadline');
            assert.equal(r.session.absoluteExpiresAt, x.absolute, 'the absolute deadline moved');
            assert.ok(now < r.session.idleExpiresAt, 'a session past its idle deadline was accepted');
            assert.equal(r.session.userId, x.user);
            if (r.token) {
              const last = lastOf(x);
              assert.equal(last.seenAt === null || last === x, true, 'only an unseen or own record renews');
              last.successor = add(r.token, x.user, x.absolute);
            }
          } else {
            x.dead = true;
          }
          return r;
        };

        try {
          for (const c of cmds) {
            switch (c.k) {
              case 'create': {
                const s = await manager.create(home);
                assert.equal(s.session.absoluteExpiresAt, clock.t + ABSOLUTE);
                add(s.token, null, s.session.absoluteExpiresAt);
                break;
              }
              case 'login': {
                const x = c.pick === null ? undefined : pickOf(c.pick);
                let current = null;
                if (x) {
                  const r = await validate(x);
                  if (!r.ok) break;
                  current = r.session;
                }
                const s = await manager.login(current, `u${c.user}`, {}, home);
                assert.equal(s.session.absoluteExpiresAt, clock.t + ABSOLUTE);
                if (x) x.dead = true;
                if (current) owner(current.id)!.dead = true;
                add(s.token, `u${c.user}`, s.session.absoluteExpiresAt);
                break;
              }
              case 'validate': {
                const x = pickOf(c.pick);
                if (x) await validate(x, c.foreign ? { ...home, userAgent: CHROME_WINDOWS } : home);
                break;
              }
              case 'logout': {
                const x = pickOf(c.pick);
                if (!x) break;
                const r = await validate(x);
                if (!r.ok) break;
                await manager.logout(r.session);
                x.dead = true;
                owner(r.session.id)!.dead = true;
                break;
              }
              case 'revoke': {
                const x = pickOf(c.pick);
                if (x && (await manager.revoke(x.id))) x.dead = true;
                break;
              }
              case 'revokeAll': {
                await manager.revokeAllForUser(`u${c.user}`);
                for (const x of held) if (x.user === `u${c.user}`) x.dead = true;
                break;
              }
              case 'rotate': {
                const x = pickOf(c.pick);
                if (!x) break;
                const r = await validate(x);
                if (!r.ok || r.session.userId === null) break;
                const s = await manager.rotate(r.session, {}, home).catch(() => null);
                if (!s) break;
                x.dead = true;
                owner(r.session.id)!.dead = true;
                assert.equal(s.session.absoluteExpiresAt, x.absolute);
                add(s.token, x.user, x.absolute);
                break;
              }
              case 'advance':
                clock.advance(c.ms);
                for (const x of held) if (clock.t >= x.absolute) x.dead = true;
                break;
              case 'sweep':
                await manager.sweep(50);
                break;
            }
          }
          // Finally, replay every token ever issued: the dead stay dead.
          for (const x of held) await validate(x);
        } finally {
          h.close();
        }
      }),
      { numRuns: kind === 'memory' ? 120 : 60, ...seed },
    );
  });
}
