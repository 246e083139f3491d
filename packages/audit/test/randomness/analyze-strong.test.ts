import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { analyzeTokens } from '../../src/randomness/index.ts';

// Real crypto.randomBytes output, different on every run. The assertions are about pass
// rates and the verdict, whose false-alarm rate is bounded by construction (≤ 10⁻⁶ for the
// test-failure rule), never about single P-values, so the test is not flaky.

test('20,000 × 32 random bytes, base64url: strong, every test run, failures within chance', () => {
  const tokens = Array.from({ length: 20_000 }, () => randomBytes(32).toString('base64url'));
  const started = performance.now();
  const r = analyzeTokens(tokens);
  const ms = performance.now() - started;
  assert.equal(r.verdict, 'strong', r.summary);
  assert.match(r.summary, /^Strong: 20,000 base64url tokens/);
  assert.equal(r.encoding, 'base64url');
  assert.equal(r.sampleSize, 20_000);
  assert.deepEqual(r.length, { min: 43, max: 43 });
  assert.equal(r.alphabetSize, 64);
  assert.equal(r.bitsAnalyzed, 20_000 * 256);
  assert.equal(r.bitBias.length, 256);
  for (const b of r.bitBias) assert.ok(Math.abs(b - 0.5) < 0.03, `bit bias ${b}`);
  assert.equal(r.positions.length, 43);
  assert.equal(r.positions[42]?.categories, 16); // the last symbol carries 4 bits
  assert.deepEqual(r.patterns, []);
  assert.deepEqual(r.skipped, []);
  const ids = r.tests.map((t) => t.id);
  for (const id of [
    'fips140-2-monobit',
    'fips140-2-poker',
    'fips140-2-runs',
    'fips140-2-long-run',
    'nist-frequency',
    'nist-block-frequency',
    'nist-runs',
    'nist-longest-run',
    'nist-cusum-forward',
    'nist-cusum-backward',
    'nist-approximate-entropy',
    'nist-serial-1',
    'nist-serial-2',
    'nist-dft',
    'positions-chi-square',
    'positions-worst',
  ]) {
    assert.ok(ids.includes(id), `missing ${id}`);
  }
  for (const t of r.tests) {
    assert.ok(t.pValue !== null && t.pValue >= 0 && t.pValue <= 1, `${t.id}: ${t.pValue}`);
    assert.ok(Number.isFinite(t.statistic), t.id);
  }
  // 16 tests at α = 0.01: more than 5 failures has probability < 10⁻⁵ even allowing for the
  // correlated ones (frequency and the two cumulative sums).
  const failed = r.tests.filter((t) => !t.passed);
  assert.ok(failed.length <= 5, failed.map((t) => `${t.id}=${t.pValue}`).join(', '));
  const fipsBlocks = r.tests.find((t) => t.id === 'fips140-2-monobit')?.blocks?.total;
  assert.equal(fipsBlocks, 256);
  assert.ok(r.minEntropyPerBit > 0.95 && r.minEntropyPerBit <= 1, String(r.minEntropyPerBit));
  assert.ok(r.effectiveEntropyBits > 240 && r.effectiveEntropyBits <= 256, String(r.effectiveEntropyBits));
  assert.equal(r.estimateInformative, true);
  assert.equal(r.fullEntropyConsistent, true);
  assert.equal(r.assessedEntropyBits, 256);
  assert.ok(ms < 50_000, `analysis took ${ms} ms`); // ≈ 3–5 s; generous for a loaded machine
});

test('128-bit hex tokens are strong: the estimate sits just under 128 bits, consistent with full entropy', () => {
  const r = analyzeTokens(Array.from({ length: 5000 }, () => randomBytes(16).toString('hex')));
  assert.equal(r.verdict, 'strong', r.summary);
  assert.equal(r.nominalBits, 128);
  assert.ok(r.effectiveEntropyBits > 110 && r.effectiveEntropyBits < 128, String(r.effectiveEntropyBits));
  assert.equal(r.fullEntropyConsistent, true);
  assert.equal(r.assessedEntropyBits, 128);
});

test('a literal prefix is reported but does not weaken 256 random bits', () => {
  const r = analyzeTokens(
    Array.from({ length: 2000 }, () => `sess_${randomBytes(32).toString('base64url')}`),
  );
  assert.equal(r.verdict, 'strong', r.summary);
  assert.equal(r.encoding, 'base64url');
  assert.equal(r.structure.prefix.startsWith('sess_'), true);
  assert.deepEqual(
    r.patterns.map((p) => [p.kind, p.affectsVerdict]),
    [['constant-prefix', false]],
  );
});

test('small samples: no false alarm, bit tests skipped with a reason, estimate marked uninformative', () => {
  const r = analyzeTokens(Array.from({ length: 10 }, () => randomBytes(16).toString('hex')));
  assert.equal(r.verdict, 'strong', r.summary);
  assert.equal(r.estimateInformative, false);
  assert.match(r.summary, /too small for a min-entropy estimate/);
  assert.ok(r.skipped.some((s) => s.id === 'fips140-2'));
  assert.ok(r.skipped.some((s) => s.id === 'positions'));
  const one = analyzeTokens([randomBytes(32).toString('base64url')]);
  assert.equal(one.sampleSize, 1);
  assert.deepEqual(one.patterns, []);
});

test('an empty sample is an error', () => {
  assert.throws(() => analyzeTokens([]), RangeError);
  assert.throws(() => analyzeTokens(['', '  ']), RangeError);
});
