import { erfc } from '../special.ts';
import type { NistOutcome } from './outcome.ts';

/** Largest power of two ≤ n. */
function floorPow2(n: number): number {
  return 2 ** Math.floor(Math.log2(n));
}

/** Moduli of the first n/2 DFT coefficients of x (iterative radix-2 FFT; n a power of two). */
function fftModuli(x: Float64Array): Float64Array {
  const n = x.length;
  const re = Float64Array.from(x);
  const im = new Float64Array(n);
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const t = re[i]!;
      re[i] = re[j]!;
      re[j] = t;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1;
    const ang = (-2 * Math.PI) / len;
    // twiddles computed directly per index (accurate; no recurrence drift)
    const cos = new Float64Array(half);
    const sin = new Float64Array(half);
    for (let k = 0; k < half; k++) {
      cos[k] = Math.cos(ang * k);
      sin[k] = Math.sin(ang * k);
    }
    for (let start = 0; start < n; start += len) {
      for (let k = 0; k < half; k++) {
        const a = start + k;
        const b = a + half;
        const wr = cos[k]!;
        const wi = sin[k]!;
        const br = re[b]! * wr - im[b]! * wi;
        const bi = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - br;
        im[b] = im[a]! - bi;
        re[a] = re[a]! + br;
        im[a] = im[a]! + bi;
      }
    }
  }
  const out = new Float64Array(n >> 1);
  for (let k = 0; k < out.length; k++) out[k] = Math.hypot(re[k]!, im[k]!);
  return out;
}

/** Moduli of the first ⌊n/2⌋ DFT coefficients by direct summation (small n only). */
function dftModuli(x: Float64Array): Float64Array {
  const n = x.length;
  const out = new Float64Array(Math.floor(n / 2));
  for (let k = 0; k < out.length; k++) {
    let r = 0;
    let i = 0;
    for (let t = 0; t < n; t++) {
      const a = (-2 * Math.PI * k * t) / n;
      r += x[t]! * Math.cos(a);
      i += x[t]! * Math.sin(a);
    }
    out[k] = Math.hypot(r, i);
  }
  return out;
}

/**
 * SP 800-22 §2.6 Discrete Fourier transform (spectral) test. Statistic: d.
 * Sequences longer than 8192 bits whose length is not a power of two are truncated to the
 * largest power of two (the FFT used here is radix-2); the detail says so.
 */
export function dftTest(bits: Uint8Array): NistOutcome {
  const direct = bits.length <= 8192 && (bits.length & (bits.length - 1)) !== 0;
  const n = direct ? bits.length : floorPow2(bits.length);
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = bits[i] === 1 ? 1 : -1;
  const moduli = direct ? dftModuli(x) : fftModuli(x);
  const threshold = Math.sqrt(Math.log(1 / 0.05) * n);
  const n0 = (0.95 * n) / 2;
  let n1 = 0;
  for (let k = 0; k < moduli.length; k++) if (moduli[k]! < threshold) n1++;
  const d = (n1 - n0) / Math.sqrt((n * 0.95 * 0.05) / 4);
  const truncated = n < bits.length ? `, first ${n} of ${bits.length} bits` : '';
  return {
    statistic: d,
    pValue: erfc(Math.abs(d) / Math.SQRT2),
    detail: `n=${n}, N1=${n1}, N0=${n0}${truncated}`,
  };
}
