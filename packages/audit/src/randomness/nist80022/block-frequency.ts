import { igamc } from '../special.ts';
import { countOnes, type NistOutcome } from './outcome.ts';

/** SP 800-22 §2.2 Frequency test within a block of M bits. Statistic: χ²(obs). */
export function blockFrequencyTest(bits: Uint8Array, blockSize: number): NistOutcome {
  const blocks = Math.floor(bits.length / blockSize);
  let chi2 = 0;
  for (let b = 0; b < blocks; b++) {
    const pi = countOnes(bits, b * blockSize, (b + 1) * blockSize) / blockSize;
    chi2 += (pi - 0.5) ** 2;
  }
  chi2 *= 4 * blockSize;
  return { statistic: chi2, pValue: igamc(blocks / 2, chi2 / 2), detail: `M=${blockSize}, N=${blocks}` };
}
