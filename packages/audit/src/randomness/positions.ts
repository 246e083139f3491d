import { chiSquareSf } from './special.ts';
import type { PositionStat, TestResult } from './types.ts';

/**
 * Character distribution at each raw position, with a χ² test of uniformity over `expected`
 * (the encoding's alphabet). `categoriesAt(i)` may narrow the set for a position, e.g. the last
 * base64 character, which carries fewer than 6 bits and so uses 2^bits symbols only; characters
 * seen outside the set widen it again (the test is then against the union).
 */
export function positionStats(
  tokens: readonly string[],
  expected: string,
  categoriesAt: (index: number) => string | null = () => null,
): PositionStat[] {
  const maxLen = tokens.reduce((m, t) => Math.max(m, t.length), 0);
  const maps: Map<string, number>[] = Array.from({ length: maxLen }, () => new Map());
  for (const t of tokens) {
    for (let i = 0; i < t.length; i++) {
      const m = maps[i]!;
      const ch = t[i]!;
      m.set(ch, (m.get(ch) ?? 0) + 1);
    }
  }
  return maps.map((m, index) => {
    const categories = new Set(categoriesAt(index) ?? expected);
    for (const ch of m.keys()) categories.add(ch);
    let total = 0;
    for (const c of m.values()) total += c;
    const k = categories.size;
    const e = total / k;
    let chiSquare = 0;
    for (const ch of categories) chiSquare += ((m.get(ch) ?? 0) - e) ** 2 / e;
    const counts: Record<string, number> = {};
    for (const [ch, c] of [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) counts[ch] = c;
    return {
      index,
      distinct: m.size,
      chiSquare,
      pValue: k > 1 ? chiSquareSf(chiSquare, k - 1) : 1,
      counts,
      categories: k,
    };
  });
}

/**
 * Two aggregate tests over the positions of the variable part: the sum of the per-position χ²
 * (df summed; positions of independent random symbols are independent), and the worst position
 * with a Bonferroni correction. Needs ≥ 5 expected observations per symbol; otherwise returns
 * null (the χ² approximation would not hold).
 */
export function positionTests(
  stats: readonly PositionStat[],
  positions: readonly number[],
  alphabetSize: number,
  sampleSize: number,
  alpha: number,
): TestResult[] | null {
  const used = positions.map((i) => stats[i]).filter((s): s is PositionStat => s !== undefined);
  if (used.length === 0 || sampleSize / alphabetSize < 5) return null;
  let chi = 0;
  let df = 0;
  let worst = used[0]!;
  for (const s of used) {
    chi += s.chiSquare;
    df += Math.max(1, s.categories - 1);
    if (s.pValue < worst.pValue) worst = s;
  }
  const pSum = chiSquareSf(chi, df);
  const pWorst = Math.min(1, worst.pValue * used.length);
  return [
    {
      id: 'positions-chi-square',
      name: 'Per-position character distribution (sum of χ²)',
      standard: 'heuristic',
      statistic: chi,
      pValue: pSum,
      passed: pSum >= alpha,
      detail: `${used.length} positions, df=${df}`,
    },
    {
      id: 'positions-worst',
      name: 'Most skewed character position (Bonferroni)',
      standard: 'heuristic',
      statistic: worst.chiSquare,
      pValue: pWorst,
      passed: pWorst >= alpha,
      detail: `position ${worst.index}: χ²=${worst.chiSquare.toFixed(1)}, ${worst.distinct} distinct symbols`,
    },
  ];
}
