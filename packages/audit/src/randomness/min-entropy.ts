import { binomialSf } from './special.ts';

/** NIST SP 800-90B §6.3.1 most-common-value estimate. */
export interface McvEstimate {
  /** Samples the estimate is based on. */
  samples: number;
  /** Count of the most common value. */
  maxCount: number;
  /** Proportion of the most common value. */
  pHat: number;
  /** Its 99% upper confidence bound, p_u = min(1, p̂ + 2.576·√(p̂(1 − p̂)/(L − 1))). */
  pUpper: number;
  /** Min-entropy per sample, −log2(p_u), in bits. */
  minEntropy: number;
}

/** MCV min-entropy estimate from the counts of each value among `samples` observations. */
export function mcvEstimate(counts: Iterable<number>, samples: number): McvEstimate {
  if (samples <= 1) return { samples, maxCount: samples, pHat: 1, pUpper: 1, minEntropy: 0 };
  let max = 0;
  for (const c of counts) if (c > max) max = c;
  const pHat = max / samples;
  const pUpper = Math.min(1, pHat + 2.576 * Math.sqrt((pHat * (1 - pHat)) / (samples - 1)));
  return { samples, maxCount: max, pHat, pUpper, minEntropy: -Math.log2(pUpper) };
}

/** MCV estimate on the bytes of all decoded tokens pooled (8 bits per sample). */
export function byteMinEntropy(tokens: readonly Uint8Array[]): McvEstimate {
  const counts = new Uint32Array(256);
  let samples = 0;
  for (const t of tokens) {
    for (let i = 0; i < t.length; i++) counts[t[i]!]!++;
    samples += t.length;
  }
  return mcvEstimate(counts, samples);
}

/** MCV estimate on the symbols (characters) of all tokens pooled. */
export function symbolMinEntropy(tokens: readonly string[]): McvEstimate {
  const counts = new Map<string, number>();
  let samples = 0;
  for (const t of tokens) {
    for (const ch of t) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    samples += t.length;
  }
  return mcvEstimate(counts.values(), samples);
}

/**
 * Probability that a uniform source over `values` outcomes makes its most common value at least
 * as common as in `est` (each count ~ Bin(L, 1/values), treated as independent:
 * 1 − (1 − P(count ≥ max))^values). A tiny value means the source is measurably short of full
 * entropy; otherwise the MCV estimate's distance from the maximum is only the price of a finite
 * sample (an ideal 128-bit token estimated from 20,000 samples comes out near 125 bits).
 */
export function uniformMaxPValue(est: McvEstimate, values: number): number {
  if (values <= 1 || est.samples <= 1) return 1;
  const one = binomialSf(est.maxCount, est.samples, 1 / values);
  return Math.min(1, -Math.expm1(values * Math.log1p(-Math.min(one, 1 - 1e-16))));
}
