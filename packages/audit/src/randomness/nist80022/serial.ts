import { igamc } from '../special.ts';
import { overlappingPatternCounts } from './outcome.ts';

export interface SerialOutcome {
  /** ∇ψ²m and its P-value. */
  del1: number;
  p1: number;
  /** ∇²ψ²m and its P-value. */
  del2: number;
  p2: number;
}

function psiSquared(bits: Uint8Array, m: number): number {
  if (m <= 0) return 0;
  const n = bits.length;
  const counts = overlappingPatternCounts(bits, m);
  let sum = 0;
  for (let i = 0; i < counts.length; i++) sum += counts[i]! * counts[i]!;
  return (sum * 2 ** m) / n - n;
}

/** SP 800-22 §2.11 Serial test with block length m (m ≥ 2): both statistics and P-values. */
export function serialTest(bits: Uint8Array, m: number): SerialOutcome {
  const psiM = psiSquared(bits, m);
  const psiM1 = psiSquared(bits, m - 1);
  const psiM2 = psiSquared(bits, m - 2);
  const del1 = psiM - psiM1;
  const del2 = psiM - 2 * psiM1 + psiM2;
  return { del1, p1: igamc(2 ** (m - 2), del1 / 2), del2, p2: igamc(2 ** (m - 3), del2 / 2) };
}
