import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findDuplicates, findNumericPatterns, findTimestamps } from '../../src/randomness/patterns.ts';
import { fixedBytes, fixedHexTokens } from './helpers.ts';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

function values(tokens: readonly string[]): bigint[] {
  return tokens.map((t) => BigInt(`0x${t}`));
}

test('duplicates are a finding that breaks the verdict', () => {
  assert.deepEqual(findDuplicates(['a', 'b', 'c']), []);
  const [f] = findDuplicates(['a', 'b', 'a', 'a', 'c', 'c']);
  assert.equal(f?.kind, 'duplicate');
  assert.equal(f?.affectsVerdict, true);
  assert.match(f?.detail ?? '', /^3 of 6 tokens repeat an earlier one \(2 distinct/);
});

test('ten increasing ids are sequential even when the range is tiny', () => {
  const ids = Array.from({ length: 10 }, (_, i) => BigInt(1000 + i));
  const kinds = findNumericPatterns(ids, 3, 'ids').map((f) => f.kind);
  assert.deepEqual(kinds, ['sequential']);
});

test('a shuffled counter is still sequential (small steps), and clustered', () => {
  const base = 0x5f3a_91c2_0000_0000n;
  const order = [7, 2, 9, 4, 0, 5, 8, 1, 6, 3];
  const vals = order.map((i) => base + BigInt(i) * 3n);
  const kinds = findNumericPatterns(vals, 128, 'ids').map((f) => f.kind);
  assert.deepEqual(kinds, ['sequential', 'low-variance']);
});

test('hex of increasing numbers, 5 tokens: too few for the order test, caught by the step size', () => {
  const tokens = Array.from({ length: 5 }, (_, i) =>
    (0xabcdef0123n + BigInt(i * 1000)).toString(16).padStart(32, '0'),
  );
  assert.deepEqual(
    findNumericPatterns(values(tokens), 128, 'ids').map((f) => f.kind),
    ['sequential', 'low-variance'],
  );
});

test('random values give no numeric finding (fixed sample, small and large)', () => {
  for (const n of [3, 10, 1000]) {
    const vals = values(fixedHexTokens(`rand${n}`, n, 16));
    assert.deepEqual(findNumericPatterns(vals, 128, 'tokens'), []);
  }
});

test('timestamps: decimal seconds, hex milliseconds and big-endian bytes are found', () => {
  const s = Math.floor(NOW / 1000);
  const dec = Array.from(
    { length: 5 },
    (_, i) => `u${s + i}x${Buffer.from(fixedBytes(`d${i}`, 4)).toString('hex')}`,
  );
  const [f1] = findTimestamps(dec, null, null, { now: NOW });
  assert.equal(f1?.kind, 'timestamp');
  assert.match(f1?.detail ?? '', /seconds at decimal characters 1–10/);

  const hex = Array.from(
    { length: 5 },
    (_, i) => (NOW + 17 * i).toString(16) + Buffer.from(fixedBytes(`h${i}`, 8)).toString('hex'),
  );
  const [f2] = findTimestamps(hex, null, hex, { now: NOW });
  assert.match(f2?.detail ?? '', /milliseconds at hex characters 0–10/);

  const bytes = Array.from({ length: 4 }, (_, i) => {
    const b = new Uint8Array(16);
    b.set(fixedBytes(`b${i}`, 16));
    new DataView(b.buffer).setUint32(6, s - 60 * i);
    return b;
  });
  const [f3] = findTimestamps(['x', 'y', 'z', 'w'], bytes, null, { now: NOW });
  assert.match(f3?.detail ?? '', /seconds at decoded bytes 6–9/);
});

test('timestamps: no finding for random tokens, for two tokens, or for times far apart', () => {
  const rand = fixedHexTokens('ts', 200, 32);
  assert.deepEqual(
    findTimestamps(
      rand,
      rand.map((t) => Buffer.from(t, 'hex')),
      rand,
      { now: NOW },
    ),
    [],
  );
  const s = Math.floor(NOW / 1000);
  assert.deepEqual(findTimestamps([`${s}`, `${s + 1}`], null, null, { now: NOW }), []);
  const apart = [0, 1, 2].map((i) => `${s - i * 30 * 86_400}`);
  assert.deepEqual(findTimestamps(apart, null, null, { now: NOW }), []);
});
