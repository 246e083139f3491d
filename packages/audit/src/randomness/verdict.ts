import { binomialSf } from './special.ts';
import type { PatternFinding, RandomnessReport, TestResult } from './types.ts';

/**
 * Family-wise error rate accepted for a false 'weak': a random generator is called weak on test
 * failures only when their number has probability < 10⁻⁶ under Bin(tests, α), or when one
 * P-value is below 10⁻⁶ / tests.
 */
const FAMILY_ERROR = 1e-6;

/** True when the failed tests are more than chance explains at level `alpha`. */
export function failuresBeyondChance(tests: readonly TestResult[], alpha: number): boolean {
  const k = tests.length;
  if (k === 0) return false;
  const failed = tests.filter((t) => !t.passed).length;
  if (failed > 0 && binomialSf(failed, k, alpha) < FAMILY_ERROR) return true;
  return tests.some((t) => t.pValue !== null && t.pValue < FAMILY_ERROR / k);
}

interface VerdictInput {
  tests: readonly TestResult[];
  patterns: readonly PatternFinding[];
  /** Effective entropy as the verdict counts it (nominal bits when the sample is consistent with full entropy). */
  effectiveEntropyBits: number;
  nominalBits: number;
  alpha: number;
}

/**
 * 'broken': a pattern that makes tokens predictable, or < 64 bits of effective entropy.
 * 'weak': < 128 bits (nominal or effective), or failed tests beyond chance. 'strong' otherwise.
 */
export function decideVerdict(v: VerdictInput): RandomnessReport['verdict'] {
  if (v.patterns.some((p) => p.affectsVerdict) || v.effectiveEntropyBits < 64) return 'broken';
  if (v.nominalBits < 128) return 'weak';
  if (v.effectiveEntropyBits < 128) return 'weak';
  if (failuresBeyondChance(v.tests, v.alpha)) return 'weak';
  return 'strong';
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** One-sentence summary of a report. */
export function summarize(r: Omit<RandomnessReport, 'summary'>, alpha: number): string {
  const failed = r.tests.filter((t) => !t.passed);
  const what = `${fmt(r.sampleSize)} ${r.encoding === 'unknown' ? '' : `${r.encoding} `}tokens`;
  const entropy = !r.estimateInformative
    ? `at most ${fmt(r.nominalBits)} bits (the sample is too small for a min-entropy estimate)`
    : r.fullEntropyConsistent
      ? `${fmt(r.nominalBits)} bits consistent with full entropy (min-entropy estimate ${fmt(r.effectiveEntropyBits)})`
      : `about ${fmt(r.effectiveEntropyBits)} bits of effective entropy (of ${fmt(r.nominalBits)} possible)`;
  const serious = r.patterns.filter((p) => p.affectsVerdict);
  const notes = r.patterns.filter((p) => !p.affectsVerdict && p.kind !== 'short').map((p) => p.detail);
  const noted = notes.length > 0 ? `; ${notes.join('; ')}` : '';
  if (r.verdict === 'broken') {
    if (serious.length > 0) {
      const kinds = serious.map((p) => p.kind).join(', ');
      return `Broken (${kinds}): ${serious.map((p) => p.detail).join('; ')}.`;
    }
    return `Broken: ${what} carry ${entropy}, below the 64-bit minimum${noted}.`;
  }
  if (r.verdict === 'weak') {
    const reasons: string[] = [];
    if (r.nominalBits < 128)
      reasons.push(`carry at most ${fmt(r.nominalBits)} bits, below the recommended 128`);
    else if (!r.fullEntropyConsistent && r.effectiveEntropyBits < 128) reasons.push(`carry only ${entropy}`);
    if (failed.length > 0 && failuresBeyondChance(r.tests, alpha)) {
      const names = failed.slice(0, 4).map((t) => t.name);
      reasons.push(
        `fail ${failed.length} of ${r.tests.length} tests (${names.join('; ')}${failed.length > 4 ? '; …' : ''})`,
      );
    }
    return `Weak: ${what} ${reasons.join(' and ')}${noted}.`;
  }
  return `Strong: ${what} with ${entropy}; ${failed.length} of ${r.tests.length} tests failed at α=${alpha}, within chance${noted}.`;
}
