import { igamc } from '../special.ts';
import type { NistOutcome } from './outcome.ts';

interface LongestRunParams {
  blockSize: number;
  /** Longest-run value of the first class (everything ≤ it) — the last class takes everything ≥. */
  low: number;
  /** Class probabilities from SP 800-22 §3.4 (as printed, 4 decimals). */
  pi: readonly number[];
}

/** Parameters from SP 800-22 §2.4.2 / §3.4, chosen by sequence length. */
export function longestRunParams(n: number): LongestRunParams | null {
  if (n < 128) return null;
  if (n < 6272) return { blockSize: 8, low: 1, pi: [0.2148, 0.3672, 0.2305, 0.1875] };
  if (n < 750_000) {
    return { blockSize: 128, low: 4, pi: [0.1174, 0.243, 0.2493, 0.1752, 0.1027, 0.1124] };
  }
  return { blockSize: 10_000, low: 10, pi: [0.0882, 0.2092, 0.2483, 0.1933, 0.1208, 0.0675, 0.0727] };
}

/** SP 800-22 §2.4 Test for the longest run of ones in a block. Statistic: χ²(obs). */
export function longestRunTest(bits: Uint8Array): NistOutcome {
  const params = longestRunParams(bits.length);
  if (!params) throw new RangeError('longest-run test needs at least 128 bits');
  const { blockSize, low, pi } = params;
  const k = pi.length - 1;
  const blocks = Math.floor(bits.length / blockSize);
  const nu = new Array<number>(pi.length).fill(0);
  for (let b = 0; b < blocks; b++) {
    let run = 0;
    let longest = 0;
    for (let i = b * blockSize; i < (b + 1) * blockSize; i++) {
      if (bits[i] === 1) {
        run++;
        if (run > longest) longest = run;
      } else run = 0;
    }
    const cls = Math.min(k, Math.max(0, longest - low));
    nu[cls]!++;
  }
  let chi2 = 0;
  for (let i = 0; i <= k; i++) {
    const expected = blocks * pi[i]!;
    chi2 += (nu[i]! - expected) ** 2 / expected;
  }
  return {
    statistic: chi2,
    pValue: igamc(k / 2, chi2 / 2),
    detail: `M=${blockSize}, N=${blocks}, ν=[${nu.join(',')}]`,
  };
}
