import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesToBits } from '../../src/randomness/decode.ts';
import { FIPS_BLOCK_BITS, fipsBlock, fipsTests } from '../../src/randomness/fips140.ts';
import { fixedBytes } from './helpers.ts';

/** A fixed block of 20,000 pseudo-random bits (SHA-256 counter mode) that passes all four tests. */
function goodBlock(): Uint8Array {
  return bytesToBits([fixedBytes('fips-good', FIPS_BLOCK_BITS / 8)]);
}

test('a pseudo-random block passes monobit, poker, runs and long run', () => {
  const r = fipsBlock(goodBlock());
  assert.ok(r.monobitPassed && r.pokerPassed && r.runsPassed && r.longRunPassed, JSON.stringify(r));
});

test('an all-zero block fails all four tests', () => {
  const r = fipsBlock(new Uint8Array(FIPS_BLOCK_BITS));
  assert.deepEqual(
    [r.monobitPassed, r.pokerPassed, r.runsPassed, r.longRunPassed],
    [false, false, false, false],
  );
  assert.equal(r.longestRun, FIPS_BLOCK_BITS);
});

test('monobit bounds are exclusive: 9,725 ones fails, 9,726 passes, 10,274 passes, 10,275 fails', () => {
  const withOnes = (ones: number): boolean => {
    const bits = new Uint8Array(FIPS_BLOCK_BITS);
    for (let i = 0; i < ones; i++) bits[(i * 7919) % FIPS_BLOCK_BITS] = 1; // 7919 is coprime with 20,000
    return fipsBlock(bits).monobitPassed;
  };
  assert.equal(withOnes(9725), false);
  assert.equal(withOnes(9726), true);
  assert.equal(withOnes(10_274), true);
  assert.equal(withOnes(10_275), false);
});

test('poker: a block cycling through all 16 nibbles is too uniform (X < 2.16) and fails', () => {
  const bits = new Uint8Array(FIPS_BLOCK_BITS);
  for (let s = 0; s < 5000; s++) {
    const v = s % 16;
    for (let j = 0; j < 4; j++) bits[4 * s + j] = (v >> (3 - j)) & 1;
  }
  const r = fipsBlock(bits);
  assert.ok(r.poker < 2.16, String(r.poker));
  assert.equal(r.pokerPassed, false);
});

test('runs: alternating bits give 10,000 runs of length 1 for each value and fail', () => {
  const bits = new Uint8Array(FIPS_BLOCK_BITS);
  for (let i = 0; i < bits.length; i++) bits[i] = i & 1;
  const r = fipsBlock(bits);
  assert.equal(r.runs[0][0], 10_000);
  assert.equal(r.runs[1][0], 10_000);
  assert.equal(r.runsPassed, false);
});

test('long run: 26 equal bits fail, 25 do not', () => {
  for (const [len, passes] of [
    [25, true],
    [26, false],
  ] as const) {
    const bits = goodBlock();
    bits.fill(1, 1000, 1000 + len);
    bits[999] = 0;
    bits[1000 + len] = 0;
    const r = fipsBlock(bits);
    assert.equal(r.longestRun >= 26, !passes);
    assert.equal(r.longRunPassed, passes);
  }
});

test('fipsTests reports per-block failures and judges them against chance', () => {
  const good = goodBlock();
  const bits = new Uint8Array(3 * FIPS_BLOCK_BITS);
  bits.set(good, 0);
  bits.set(good, 2 * FIPS_BLOCK_BITS); // block 1 stays all zeros
  const results = fipsTests(bits, 0.01);
  assert.deepEqual(
    results.map((r) => r.id),
    ['fips140-2-monobit', 'fips140-2-poker', 'fips140-2-runs', 'fips140-2-long-run'],
  );
  for (const r of results) {
    assert.equal(r.statistic, 1);
    assert.deepEqual(r.blocks, { total: 3, failed: [1] });
    assert.match(r.detail ?? '', /1 of 3 blocks of 20,000 bits failed \(blocks 1\)/);
    assert.equal(r.passed, (r.pValue ?? 0) >= 0.01);
  }
  // One failing block in three is far beyond chance for monobit, poker and long run (≈10⁻⁴ per
  // block); the runs test fails about one ideal block in 270, so P ≈ 0.012 and it still passes.
  assert.deepEqual(
    results.map((r) => r.passed),
    [false, false, true, false],
  );
  assert.deepEqual(fipsTests(new Uint8Array(19_999), 0.01), []);
});
