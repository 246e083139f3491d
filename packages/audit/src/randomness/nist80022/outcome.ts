/** The numbers one NIST SP 800-22 test produces for a bit sequence. */
export interface NistOutcome {
  statistic: number;
  pValue: number;
  detail: string;
}

/** Counts of ones in `bits[from, to)`. */
export function countOnes(bits: Uint8Array, from = 0, to = bits.length): number {
  let ones = 0;
  for (let i = from; i < to; i++) ones += bits[i]!;
  return ones;
}

/**
 * Counts of every overlapping m-bit pattern of `bits`, with the first m − 1 bits appended at the
 * end (the wrap-around of SP 800-22 §2.11 and §2.12). Index = pattern value, MSB first.
 */
export function overlappingPatternCounts(bits: Uint8Array, m: number): Uint32Array {
  const n = bits.length;
  const counts = new Uint32Array(1 << m);
  if (m === 0) {
    counts[0] = n;
    return counts;
  }
  const mask = (1 << m) - 1;
  let v = 0;
  for (let i = 0; i < m - 1; i++) v = (v << 1) | bits[i]!;
  for (let i = m - 1; i < n + m - 1; i++) {
    v = ((v << 1) | bits[i < n ? i : i - n]!) & mask;
    counts[v]!++;
  }
  return counts;
}
