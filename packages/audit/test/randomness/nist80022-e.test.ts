// NIST SP 800-22 Rev 1a publishes the P-values its reference implementation gives for the sample
// file data.e, the first 1,000,000 bits of e (Appendix B, "Empirical results for sample data",
// default parameters: block frequency M = 128, approximate entropy m = 10, serial m = 16), and
// §2.11.8 works the serial test on the same bits with m = 2.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { approximateEntropyTest } from '../../src/randomness/nist80022/approximate-entropy.ts';
import { blockFrequencyTest } from '../../src/randomness/nist80022/block-frequency.ts';
import { cusumTest } from '../../src/randomness/nist80022/cusum.ts';
import { dftTest } from '../../src/randomness/nist80022/dft.ts';
import { frequencyTest } from '../../src/randomness/nist80022/frequency.ts';
import { longestRunTest } from '../../src/randomness/nist80022/longest-run.ts';
import { runsTest } from '../../src/randomness/nist80022/runs.ts';
import { serialTest } from '../../src/randomness/nist80022/serial.ts';
import { eBits } from './e-bits.ts';

let E: Uint8Array = new Uint8Array(0);

before(() => {
  E = eBits(1_000_000);
});

function near(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) <= 5e-7, `expected ${expected}, got ${actual}`);
}

test('the computed bits of e start as data.e does: 10 1011011111100001…', () => {
  assert.equal(Array.from(E.subarray(0, 20)).join(''), '10101101111110000101');
  assert.equal(E.length, 1_000_000);
});

test('frequency 0.953749', () => near(frequencyTest(E).pValue, 0.953749));
test('block frequency (M = 128) 0.211072', () => near(blockFrequencyTest(E, 128).pValue, 0.211072));
test('runs 0.561917', () => near(runsTest(E).pValue, 0.561917));
test('longest run of ones (M = 10,000) 0.718945', () => near(longestRunTest(E).pValue, 0.718945));
test('cumulative sums forward 0.669886, backward 0.724265', () => {
  near(cusumTest(E, 'forward').pValue, 0.669886);
  near(cusumTest(E, 'backward').pValue, 0.724265);
});
test('approximate entropy (m = 10) 0.700073', () => near(approximateEntropyTest(E, 10).pValue, 0.700073));
test('serial (m = 16) 0.766182 and 0.462921', () => {
  const s = serialTest(E, 16);
  near(s.p1, 0.766182);
  near(s.p2, 0.462921);
});
test('serial (m = 2, §2.11.8) 0.843764 and 0.561915', () => {
  const s = serialTest(E, 2);
  near(s.p1, 0.843764);
  near(s.p2, 0.561915);
});
test('DFT 0.847187 (all 1,000,000 bits, mixed-radix FFT)', () => {
  const r = dftTest(E);
  assert.match(r.detail, /^n=1000000, /);
  near(r.pValue, 0.847187);
});
