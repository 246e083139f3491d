/** One statistical test's outcome. `pValue` is null where the standard gives only pass/fail. */
export interface TestResult {
  id: string;
  name: string;
  standard: 'FIPS 140-2' | 'NIST SP 800-22' | 'NIST SP 800-90B' | 'heuristic';
  statistic: number;
  pValue: number | null;
  passed: boolean;
  detail?: string;
  /** FIPS 140-2 tests: the 20,000-bit blocks tested and the (0-based) indices of those that failed. */
  blocks?: { total: number; failed: number[] };
}

/** Character distribution at one position of the raw token. */
export interface PositionStat {
  index: number;
  distinct: number;
  chiSquare: number;
  pValue: number;
  counts: Record<string, number>;
  /** Number of symbols the χ² was computed against (the alphabet, or fewer for a partial last symbol). */
  categories: number;
}

/** A structural weakness found without statistics (or with small-sample statistics). */
export interface PatternFinding {
  kind: 'sequential' | 'timestamp' | 'low-variance' | 'constant-prefix' | 'duplicate' | 'short';
  detail: string;
  /**
   * True when the finding alone makes tokens predictable (verdict 'broken'). False for structure
   * that is reported but already accounted for in the entropy figure, e.g. a literal `sess_`
   * prefix or the fixed dashes of a UUID.
   */
  affectsVerdict: boolean;
}

/** A test that was not run, and why (usually: too few bits). */
export interface SkippedTest {
  id: string;
  name: string;
  reason: string;
}

/**
 * How the tokens are written. `base32` is PHP's 5-bit alphabet (`0-9a-v`, `session.sid_bits_per_character=5`)
 * or RFC 4648's (`A-Z2-7`); `php64` PHP's 6-bit one (`0-9a-zA-Z,-`); `base36` Django's `[a-z0-9]`;
 * `base62` `[A-Za-z0-9]`.
 */
export type TokenEncoding =
  | 'hex'
  | 'base64'
  | 'base64url'
  | 'base32'
  | 'php64'
  | 'base36'
  | 'base62'
  | 'decimal'
  | 'unknown';

export interface RandomnessReport {
  sampleSize: number;
  encoding: TokenEncoding;
  length: { min: number; max: number };
  /** Characters observed in the sample, sorted. */
  alphabet: string;
  alphabetSize: number;
  /** Number of bits the bit-level tests ran on (0 when the tokens could not be read as bits). */
  bitsAnalyzed: number;
  /** How the tokens were turned into the bits the bit-level tests ran on. */
  bitSource?: string;
  /** Which part of the cookie value was analysed and why (set by the audit, not by `analyzeTokens`). */
  tokenStructure?: string;
  /** Fraction of ones per bit position of the decoded (variable part of the) token, for charts. */
  bitBias: number[];
  positions: PositionStat[];
  tests: TestResult[];
  /** Min-entropy per nominal bit, NIST SP 800-90B most-common-value estimate (0..1). */
  minEntropyPerBit: number;
  /** Min-entropy of the whole token in bits: per-symbol min-entropy × symbols, capped at nominal bits. */
  effectiveEntropyBits: number;
  /** Bits the variable part of the token could carry at most (decoded bits, or symbols × log2 alphabet). */
  nominalBits: number;
  /**
   * False when the sample is too small for the min-entropy estimate to mean much (fewer than
   * ten observations per possible byte or symbol value).
   */
  estimateInformative: boolean;
  /**
   * True when the most common byte (or symbol) is no more common than a uniform source would make
   * it (P ≥ 10⁻⁶). The verdict then counts the nominal bits: the MCV estimate always sits
   * somewhat below the truth for a finite sample, and that shortfall is no finding.
   */
  fullEntropyConsistent: boolean;
  /**
   * The entropy the verdict counts, in bits: `nominalBits` while `fullEntropyConsistent`, else
   * `effectiveEntropyBits`. Use this (not the raw estimate) for "fewer than 128 bits" findings,
   * or an ideal 128-bit token would be flagged for the estimator's small-sample shortfall.
   */
  assessedEntropyBits: number;
  patterns: PatternFinding[];
  verdict: 'strong' | 'weak' | 'broken';
  summary: string;
  /** Tests not run on this sample and why. */
  skipped: SkippedTest[];
  /** The constant structure removed before the analysis of the variable part. */
  structure: { prefix: string; suffix: string; constantPositions: number[] };
}
