import { erfc } from '../special.ts';
import { countOnes, type NistOutcome } from './outcome.ts';

/** SP 800-22 §2.1 Frequency (monobit) test. Statistic: s_obs = |S_n| / √n. */
export function frequencyTest(bits: Uint8Array): NistOutcome {
  const n = bits.length;
  const sum = 2 * countOnes(bits) - n;
  const sObs = Math.abs(sum) / Math.sqrt(n);
  return { statistic: sObs, pValue: erfc(sObs / Math.SQRT2), detail: `n=${n}, S_n=${sum}` };
}
