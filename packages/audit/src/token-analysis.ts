import type { RandomnessReport } from './randomness/index.ts';

export type { PatternFinding, PositionStat, RandomnessReport, TestResult } from './randomness/index.ts';

/** Runs the statistical analysis of `tokens` (the randomness module, loaded on first use). */
export async function analyze(
  tokens: readonly string[],
  options?: { alpha?: number },
): Promise<RandomnessReport> {
  const mod = await import('./randomness/index.ts');
  return mod.analyzeTokens(tokens, options);
}
