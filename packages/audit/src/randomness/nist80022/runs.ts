import { erfc } from '../special.ts';
import { countOnes, type NistOutcome } from './outcome.ts';

/** SP 800-22 §2.3 Runs test. Statistic: V_n(obs), the number of runs; P = 0 when the frequency prerequisite fails. */
export function runsTest(bits: Uint8Array): NistOutcome {
  const n = bits.length;
  const pi = countOnes(bits) / n;
  let v = 1;
  for (let i = 1; i < n; i++) if (bits[i] !== bits[i - 1]) v++;
  if (Math.abs(pi - 0.5) >= 2 / Math.sqrt(n)) {
    return { statistic: v, pValue: 0, detail: `frequency prerequisite failed (π=${pi.toFixed(6)})` };
  }
  const num = Math.abs(v - 2 * n * pi * (1 - pi));
  const den = 2 * Math.sqrt(2 * n) * pi * (1 - pi);
  return { statistic: v, pValue: erfc(num / den), detail: `n=${n}, π=${pi.toFixed(6)}` };
}
