import { erfc } from '../special.ts';
import { fft, smoothLengthAtMost } from './fft.ts';
import type { NistOutcome } from './outcome.ts';

/** Longest prefix the DFT test transforms (2²⁰ bits; a periodic flaw shows in any window this long). */
export const MAX_DFT_BITS = 2 ** 20;

/**
 * SP 800-22 §2.6 Discrete Fourier transform (spectral) test. Statistic: d = (N1 − N0)/√(n·0.95·0.05/4).
 * The transform runs on the first min(n, 2²⁰) bits, shortened further to the nearest length whose
 * prime factors are ≤ 7 (the FFT's radices); the detail says when bits were left out.
 */
export function dftTest(bits: Uint8Array): NistOutcome {
  const n = smoothLengthAtMost(Math.min(bits.length, MAX_DFT_BITS));
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let i = 0; i < n; i++) re[i] = bits[i] === 1 ? 1 : -1;
  fft(re, im);
  const threshold = Math.sqrt(Math.log(1 / 0.05) * n);
  const n0 = (0.95 * n) / 2;
  let n1 = 0;
  const half = Math.floor(n / 2);
  for (let k = 0; k < half; k++) if (Math.hypot(re[k]!, im[k]!) < threshold) n1++;
  const d = (n1 - n0) / Math.sqrt((n * 0.95 * 0.05) / 4);
  const truncated = n < bits.length ? `, first ${n} of ${bits.length} bits` : '';
  return {
    statistic: d,
    pValue: erfc(Math.abs(d) / Math.SQRT2),
    detail: `n=${n}, N1=${n1}, N0=${n0}${truncated}`,
  };
}
