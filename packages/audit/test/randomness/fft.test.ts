import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fft, primeFactors, smoothLengthAtMost } from '../../src/randomness/nist80022/fft.ts';

function naiveDft(re: Float64Array, im: Float64Array): [Float64Array, Float64Array] {
  const n = re.length;
  const outR = new Float64Array(n);
  const outI = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    for (let t = 0; t < n; t++) {
      const a = (-2 * Math.PI * ((k * t) % n)) / n;
      outR[k]! += re[t]! * Math.cos(a) - im[t]! * Math.sin(a);
      outI[k]! += re[t]! * Math.sin(a) + im[t]! * Math.cos(a);
    }
  }
  return [outR, outI];
}

test('mixed-radix FFT equals the direct DFT for lengths with factors 2, 3, 4, 5, 7', () => {
  for (const n of [1, 2, 3, 4, 5, 7, 8, 10, 12, 16, 30, 49, 64, 100, 210, 1000]) {
    const re = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 1.3) + (i % 3));
    const im = Float64Array.from({ length: n }, (_, i) => Math.cos(i * 0.7));
    const [er, ei] = naiveDft(re, im);
    fft(re, im);
    for (let k = 0; k < n; k++) {
      assert.ok(Math.hypot(re[k]! - er[k]!, im[k]! - ei[k]!) < 1e-9 * n, `n=${n}, k=${k}`);
    }
  }
});

test('lengths are shortened to the nearest 7-smooth length; other lengths are refused', () => {
  assert.deepEqual(primeFactors(5_120_000), [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 5, 5, 5, 5]);
  assert.equal(smoothLengthAtMost(1_000_000), 1_000_000);
  assert.equal(smoothLengthAtMost(1_000_003), 1_000_000);
  assert.equal(smoothLengthAtMost(11), 10);
  assert.throws(() => fft(new Float64Array(11), new Float64Array(11)), RangeError);
});
