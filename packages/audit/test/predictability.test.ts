/** The deterministic token heuristics: each fires on its pattern and stays quiet on random tokens. */
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { test } from 'node:test';
import { forgeLike } from '../src/checks/fixation.ts';
import { extractToken } from '../src/checks/randomness.ts';
import { detectPredictability, type TokenSample } from '../src/predictability.ts';

const at = (value: string, t = Date.now()): TokenSample => ({ value, requestedAt: t, receivedAt: t + 2 });

test('random tokens of every shape: no heuristic fires', () => {
  const shapes = [
    () => randomBytes(32).toString('base64url'),
    () => randomBytes(8).toString('hex'),
    () => String(randomInt(1_000_000)),
  ];
  for (const make of shapes) {
    const samples = Array.from({ length: 300 }, () => at(make()));
    const unique = [...new Map(samples.map((s) => [s.value, s])).values()];
    assert.deepEqual(detectPredictability(unique), [], make());
  }
});

test('a counter, even hex and not in order, is sequential', () => {
  const samples = Array.from({ length: 100 }, (_, i) => at((0xabc000 + ((i * 37) % 100)).toString(16)));
  assert.deepEqual(
    detectPredictability(samples).map((p) => p.kind),
    ['sequential'],
  );
});

test('the clock itself is a timestamp', () => {
  const samples = Array.from({ length: 20 }, (_, i) =>
    at(String(1_700_000_000 + i * 7), 1_700_000_000_000 + i * 7000),
  );
  const kinds = detectPredictability(samples).map((p) => p.kind);
  assert.ok(kinds.includes('timestamp'), kinds.join());
});

test('a hash of the clock is found, in hex and base64url, MD5 to SHA-512', () => {
  for (const [alg, enc] of [
    ['md5', 'hex'],
    ['sha1', 'base64url'],
    ['sha256', 'hex'],
    ['sha512', 'base64'],
  ] as const) {
    const samples = Array.from({ length: 10 }, (_, i) => {
      const t = 1_750_000_000_000 + i * 13;
      return at(
        createHash(alg)
          .update(String(t + 1))
          .digest(enc),
        t,
      );
    });
    const found = detectPredictability(samples).find((p) => p.kind === 'timestamp-hash');
    assert.match(
      found?.detail ?? '',
      /10 of 10 tokens checked equal a hash of the issue time \(milliseconds\)/,
      `${alg}/${enc}`,
    );
  }
});

test('duplicates are counted', () => {
  const v = randomBytes(16).toString('hex');
  const samples = [at(v), at(randomBytes(16).toString('hex')), at(v)];
  assert.deepEqual(
    detectPredictability(samples).map((p) => p.detail),
    ['1 of 3 freshly issued tokens duplicated an earlier one'],
  );
});

test('token extraction: URL-decoding and tokenPattern', () => {
  assert.equal(extractToken('s%3Aabc123.sig', '^s:([^.]+)\\.'), 'abc123');
  assert.equal(extractToken('plain', undefined), 'plain');
});

test('planted values keep the shape of real tokens but are new', () => {
  const real = randomBytes(32).toString('base64url');
  const planted = forgeLike(real);
  assert.equal(planted.length, real.length);
  assert.notEqual(planted, real);
  assert.match(planted, /^[A-Za-z0-9_-]+$/);
});
