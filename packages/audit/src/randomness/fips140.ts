import { binomialSf, igam, igamc, normalCdf } from './special.ts';
import type { TestResult } from './types.ts';

/** FIPS 140-2 §4.9.1 block length (the tests run on consecutive 20,000-bit blocks). */
export const FIPS_BLOCK_BITS = 20_000;

/** Required intervals (inclusive) for the runs test, lengths 1..5 and 6+ (FIPS 140-2 Table 3). */
const RUN_INTERVALS: readonly (readonly [number, number])[] = [
  [2343, 2657],
  [1135, 1365],
  [542, 708],
  [251, 373],
  [111, 201],
  [111, 201],
];

/** Outcome of the four FIPS 140-2 tests on one 20,000-bit block. */
export interface FipsBlockOutcome {
  ones: number;
  poker: number;
  /** runs[0] = runs of zeros of length 1..6+, runs[1] = runs of ones. */
  runs: [number[], number[]];
  longestRun: number;
  monobitPassed: boolean;
  pokerPassed: boolean;
  runsPassed: boolean;
  longRunPassed: boolean;
}

/** Runs the FIPS 140-2 monobit, poker, runs and long-run tests on bits[offset, offset + 20000). */
export function fipsBlock(bits: Uint8Array, offset = 0): FipsBlockOutcome {
  const end = offset + FIPS_BLOCK_BITS;
  if (bits.length < end) throw new RangeError('a FIPS 140-2 block needs 20,000 bits');
  let ones = 0;
  const nibbles = new Uint32Array(16);
  for (let i = offset; i < end; i += 4) {
    const v = (bits[i]! << 3) | (bits[i + 1]! << 2) | (bits[i + 2]! << 1) | bits[i + 3]!;
    nibbles[v]!++;
  }
  const runs: [number[], number[]] = [new Array<number>(6).fill(0), new Array<number>(6).fill(0)];
  let longestRun = 0;
  let run = 0;
  for (let i = offset; i < end; i++) {
    const b = bits[i]!;
    ones += b;
    run++;
    if (i + 1 === end || bits[i + 1] !== b) {
      runs[b]![Math.min(run, 6) - 1]!++;
      if (run > longestRun) longestRun = run;
      run = 0;
    }
  }
  let sumSq = 0;
  for (let v = 0; v < 16; v++) sumSq += nibbles[v]! * nibbles[v]!;
  const poker = (16 / 5000) * sumSq - 5000;
  const inRange = (counts: number[]): boolean =>
    counts.every((c, i) => c >= RUN_INTERVALS[i]![0] && c <= RUN_INTERVALS[i]![1]);
  return {
    ones,
    poker,
    runs,
    longestRun,
    monobitPassed: ones > 9725 && ones < 10275,
    pokerPassed: poker > 2.16 && poker < 46.17,
    runsPassed: inRange(runs[0]) && inRange(runs[1]),
    longRunPassed: longestRun < 26,
  };
}

/**
 * Probability that one block of ideal random bits fails each test, used to judge how many
 * failing blocks chance explains. Monobit and poker are exact tails (normal approximation with
 * continuity correction; χ² with 15 df); long run: ≈ 20,000 · 2⁻²⁶ (a run of ≥ 26 equal bits
 * starting at a given position); runs (twelve intervals, no closed form): measured by
 * simulation, 685 failing blocks of 185,800 blocks of crypto.randomBytes (3.7·10⁻³), rounded up.
 * The same simulation agreed with the other three (22, 16 and 45 failures: 1.2·10⁻⁴, 0.9·10⁻⁴,
 * 2.4·10⁻⁴).
 */
export const FIPS_BLOCK_FAILURE_PROBABILITY = {
  monobit: 2 * normalCdf((9725.5 - 10_000) / Math.sqrt(5000)),
  poker: igam(7.5, 2.16 / 2) + igamc(7.5, 46.17 / 2),
  runs: 4e-3,
  longRun: (FIPS_BLOCK_BITS - 25) * 2 ** -26,
} as const;

type FipsKey = keyof typeof FIPS_BLOCK_FAILURE_PROBABILITY;

const NAMES: Record<FipsKey, string> = {
  monobit: 'FIPS 140-2 monobit',
  poker: 'FIPS 140-2 poker',
  runs: 'FIPS 140-2 runs',
  longRun: 'FIPS 140-2 long run',
};

/**
 * Runs the FIPS 140-2 tests on every complete 20,000-bit block of `bits`. Each result's statistic
 * is the number of failing blocks; its P-value is the chance of at least that many failures among
 * this many blocks of ideal data (binomial tail), so a single block that fails gives P ≈ 10⁻⁴ and
 * the test fails, exactly as FIPS 140-2 prescribes, while one failure among hundreds of blocks is
 * within chance. Returns [] when there is not one full block.
 */
export function fipsTests(bits: Uint8Array, alpha: number): TestResult[] {
  const total = Math.floor(bits.length / FIPS_BLOCK_BITS);
  if (total === 0) return [];
  const failed: Record<FipsKey, number[]> = { monobit: [], poker: [], runs: [], longRun: [] };
  for (let b = 0; b < total; b++) {
    const r = fipsBlock(bits, b * FIPS_BLOCK_BITS);
    if (!r.monobitPassed) failed.monobit.push(b);
    if (!r.pokerPassed) failed.poker.push(b);
    if (!r.runsPassed) failed.runs.push(b);
    if (!r.longRunPassed) failed.longRun.push(b);
  }
  return (Object.keys(NAMES) as FipsKey[]).map((key) => {
    const f = failed[key];
    const pValue = binomialSf(f.length, total, FIPS_BLOCK_FAILURE_PROBABILITY[key]);
    const shown = f.slice(0, 20).join(', ') + (f.length > 20 ? ', …' : '');
    return {
      id: `fips140-2-${key === 'longRun' ? 'long-run' : key}`,
      name: NAMES[key],
      standard: 'FIPS 140-2',
      statistic: f.length,
      pValue,
      passed: pValue >= alpha,
      detail: `${f.length} of ${total} blocks of 20,000 bits failed${f.length ? ` (blocks ${shown})` : ''}`,
      blocks: { total, failed: f },
    } satisfies TestResult;
  });
}
