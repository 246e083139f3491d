import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { mcvEstimate } from '../../src/randomness/min-entropy.ts';
import { positionStats } from '../../src/randomness/positions.ts';
import { extractStructure } from '../../src/randomness/structure.ts';
import { fixedHexTokens } from './helpers.ts';

test('a literal prefix shared by many tokens is removed; the rest is analysed', () => {
  const tokens = fixedHexTokens('p', 100, 16).map((t) => `sess_${t}`);
  const s = extractStructure(tokens, 22);
  assert.equal(s.prefix.startsWith('sess_'), true);
  assert.equal(s.cores[0], tokens[0]!.slice(s.prefix.length));
});

test('a shared first character of two random tokens is chance, not structure', () => {
  const s = extractStructure(['a1b2c3d4e5f60718', 'a9f8e7d6c5b4a392'], 16);
  assert.equal(s.prefix, '');
  assert.deepEqual(s.cores, ['a1b2c3d4e5f60718', 'a9f8e7d6c5b4a392']);
});

test('UUID v4: dashes and the version digit are constant positions', () => {
  const s = extractStructure(
    Array.from({ length: 200 }, () => randomUUID()),
    17,
  );
  assert.deepEqual(s.constantPositions, [8, 13, 14, 18, 23]);
  assert.equal(s.cores[0]?.length, 31);
});

test('positionStats counts characters and tests uniformity per position', () => {
  const stats = positionStats(['ab', 'ab', 'ba', 'bb'], 'ab');
  assert.deepEqual(stats[0]?.counts, { a: 2, b: 2 });
  assert.equal(stats[0]?.chiSquare, 0);
  assert.equal(stats[0]?.pValue, 1);
  assert.deepEqual(stats[1]?.counts, { a: 1, b: 3 });
  assert.equal(stats[1]?.chiSquare, 1);
  assert.equal(stats[1]?.categories, 2);
  const narrowed = positionStats(['aA', 'aE'], 'ABCDEFGH', (i) => (i === 1 ? 'AE' : null));
  assert.equal(narrowed[1]?.categories, 2);
  assert.equal(narrowed[0]?.categories, 9); // 'a' is outside the alphabet: tested against the union
});

test('SP 800-90B most-common-value estimate', () => {
  // p̂ = 0.5, p_u = 0.5 + 2.576·√(0.25/9) = 0.929333…, H = −log2(p_u)
  const e = mcvEstimate([5, 5], 10);
  assert.equal(e.pHat, 0.5);
  assert.ok(Math.abs(e.pUpper - (0.5 + 2.576 * Math.sqrt(0.25 / 9))) < 1e-15);
  assert.ok(Math.abs(e.minEntropy - -Math.log2(e.pUpper)) < 1e-15);
  assert.ok(mcvEstimate([10], 10).minEntropy === 0); // a constant source has no min-entropy
  const uniform = mcvEstimate(new Array(256).fill(1000), 256_000);
  assert.ok(uniform.minEntropy > 7.85 && uniform.minEntropy < 8);
});
