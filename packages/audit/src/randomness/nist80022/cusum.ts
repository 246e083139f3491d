import { normalCdf } from '../special.ts';
import type { NistOutcome } from './outcome.ts';

/**
 * SP 800-22 §2.13 Cumulative sums test, forward (mode 0) or backward (mode 1).
 * Statistic: z, the largest excursion of the ±1 random walk. The summation bounds are the
 * integer quotients of the reference implementation (truncated towards zero), which is what
 * the published example P-values use.
 */
export function cusumTest(bits: Uint8Array, direction: 'forward' | 'backward'): NistOutcome {
  const n = bits.length;
  let s = 0;
  let z = 0;
  for (let k = 0; k < n; k++) {
    const bit = direction === 'forward' ? bits[k]! : bits[n - 1 - k]!;
    s += bit === 1 ? 1 : -1;
    if (Math.abs(s) > z) z = Math.abs(s);
  }
  if (z === 0) return { statistic: 0, pValue: 1, detail: `n=${n}` };
  const sqrtN = Math.sqrt(n);
  const q = Math.trunc(n / z);
  let sum1 = 0;
  for (let k = Math.trunc((-q + 1) / 4); k <= Math.trunc((q - 1) / 4); k++) {
    sum1 += normalCdf(((4 * k + 1) * z) / sqrtN) - normalCdf(((4 * k - 1) * z) / sqrtN);
  }
  let sum2 = 0;
  for (let k = Math.trunc((-q - 3) / 4); k <= Math.trunc((q - 1) / 4); k++) {
    sum2 += normalCdf(((4 * k + 3) * z) / sqrtN) - normalCdf(((4 * k + 1) * z) / sqrtN);
  }
  const p = 1 - sum1 + sum2;
  return { statistic: z, pValue: Math.min(1, Math.max(0, p)), detail: `n=${n}, ${direction}` };
}
