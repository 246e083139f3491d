import { igamc } from '../special.ts';
import { type NistOutcome, overlappingPatternCounts } from './outcome.ts';

function phi(bits: Uint8Array, m: number): number {
  const n = bits.length;
  const counts = overlappingPatternCounts(bits, m);
  let sum = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c > 0) sum += (c / n) * Math.log(c / n);
  }
  return sum;
}

/** SP 800-22 §2.12 Approximate entropy test with block length m. Statistic: χ²(obs). */
export function approximateEntropyTest(bits: Uint8Array, m: number): NistOutcome {
  const n = bits.length;
  const apEn = phi(bits, m) - phi(bits, m + 1);
  const chi2 = 2 * n * (Math.LN2 - apEn);
  return {
    statistic: chi2,
    pValue: igamc(2 ** (m - 1), chi2 / 2),
    detail: `m=${m}, ApEn=${apEn.toFixed(6)}`,
  };
}
