import { bitsPerSymbol, bytesToBits, expectedAlphabet, observedAlphabet, symbolsToBytes } from './decode.ts';
import { fipsTests } from './fips140.ts';
import { byteMinEntropy, type McvEstimate, symbolMinEntropy, uniformMaxPValue } from './min-entropy.ts';
import { nistTests } from './nist80022/index.ts';
import { findDuplicates } from './patterns.ts';
import { positionStats, positionTests } from './positions.ts';
import { extractStructure } from './structure.ts';
import type { PatternFinding, RandomnessReport, SkippedTest, TestResult, TokenEncoding } from './types.ts';
import { maxOf, minOf } from './util.ts';
import { decideVerdict, summarize } from './verdict.ts';
import { makeView, viewPatterns } from './views.ts';

export type {
  PatternFinding,
  PositionStat,
  RandomnessReport,
  SkippedTest,
  TestResult,
  TokenEncoding,
} from './types.ts';

/** Options of {@link analyzeTokens}. */
export interface AnalyzeOptions {
  /** Significance level of every test (default 0.01). */
  alpha?: number;
  /** "Now" in ms since the epoch, for the timestamp detector (default Date.now()). */
  now?: number;
}

/**
 * For a base64 position that is the last symbol of a same-length variable part, the symbols a
 * canonical encoder can emit there (those whose unused low bits are zero); null elsewhere.
 */
function partialSymbolCategories(
  encoding: TokenEncoding,
  expected: string,
  corePositions: number[] | null,
  coreLength: number,
): (index: number) => string | null {
  if ((encoding !== 'base64' && encoding !== 'base64url') || !corePositions) return () => null;
  const decodedBits = Math.floor((coreLength * 6) / 8) * 8;
  const lastValid = decodedBits - 6 * (coreLength - 1);
  if (lastValid >= 6) return () => null;
  const lastRaw = corePositions[coreLength - 1];
  const allowed = [...expected].filter((_, v) => v % 2 ** (6 - lastValid) === 0).join('');
  return (index) => (index === lastRaw ? allowed : null);
}

/** Fraction of ones at each bit position of the decoded tokens (first `bits` bits). */
function bitBiasOf(decoded: readonly Uint8Array[], bits: number): number[] {
  const ones = new Float64Array(bits);
  for (const d of decoded) {
    for (let i = 0; i < bits; i++) ones[i]! += (d[i >> 3]! >> (7 - (i & 7))) & 1;
  }
  return Array.from(ones, (c) => c / decoded.length);
}

/**
 * Analyzes a sample of session tokens: length and alphabet, per-position character
 * distribution, FIPS 140-2 and NIST SP 800-22 bit-level tests on the concatenated decoded
 * tokens, a NIST SP 800-90B most-common-value min-entropy estimate, and pattern detectors for
 * sequential, timestamp-derived, clustered, constant-prefix, duplicate and short tokens.
 *
 * Constant structure (a shared prefix or suffix, constant positions such as a UUID's dashes) is
 * removed first when it is too long to be chance; the tests and the entropy figure describe the
 * variable part. The min-entropy estimate is on the pooled decoded bytes (hex, base64,
 * base64url) or on the pooled symbols (decimal and other alphabets). Throws a RangeError for an
 * empty sample.
 */
export function analyzeTokens(tokens: readonly string[], options: AnalyzeOptions = {}): RandomnessReport {
  const alpha = options.alpha ?? 0.01;
  const sample = tokens.map((t) => t.trim()).filter((t) => t.length > 0);
  if (sample.length === 0) throw new RangeError('analyzeTokens: the sample has no tokens');
  const n = sample.length;
  const alphabet = observedAlphabet(sample);
  const lengths = sample.map((t) => t.length);
  const length = { min: minOf(lengths), max: maxOf(lengths) };

  const structure = extractStructure(sample, alphabet.length);
  const hasStructure = structure.constantPositions.length > 0 || structure.suffix.length > 0;
  const core = makeView(hasStructure ? 'the variable part' : 'the token', structure.cores);
  const raw = hasStructure ? makeView('the whole token', sample) : core;
  const { encoding } = core;
  const coreAlphabet = observedAlphabet(core.strings);
  const expected = expectedAlphabet(encoding, coreAlphabet);
  const coreMinLen = minOf(core.strings.map((c) => c.replace(/=+$/, '').length));

  const tests: TestResult[] = [];
  const skipped: SkippedTest[] = [];
  const positions = positionStats(
    sample,
    expected,
    partialSymbolCategories(encoding, expected, structure.corePositions, coreMinLen),
  );
  // Variable-length samples: only positions every token has, and for base64 not the shortest
  // tokens' last symbol, which may carry fewer than 6 bits.
  const partialTail = encoding === 'base64' || encoding === 'base64url' ? 1 : 0;
  const corePositionList =
    structure.corePositions ??
    positions
      .map((p) => p.index)
      .filter((i) => i >= structure.prefix.length && i < length.min - structure.suffix.length - partialTail);
  const posTests = positionTests(positions, corePositionList, expected.length, n, alpha);
  if (posTests) tests.push(...posTests);
  else {
    skipped.push({
      id: 'positions',
      name: 'Per-position character distribution',
      reason: `needs at least 5 tokens per symbol (${5 * expected.length} tokens), have ${n}`,
    });
  }

  let bitsAnalyzed = 0;
  let bitSource: string | undefined;
  let bitBias: number[] = [];
  let nominalBits: number;
  let estimate: McvEstimate;
  let perSampleBits: number;
  let possibleValues: number;
  if (core.bytes) {
    const bits = bytesToBits(core.bytes);
    bitsAnalyzed = bits.length;
    bitSource = `the ${encoding} decoding of each token`;
    const fips = fipsTests(bits, alpha);
    if (fips.length > 0) tests.push(...fips);
    else
      skipped.push({
        id: 'fips140-2',
        name: 'FIPS 140-2 tests',
        reason: `need 20,000 bits, have ${bits.length}`,
      });
    const nist = nistTests(bits, alpha);
    tests.push(...nist.tests);
    skipped.push(...nist.skipped);
    nominalBits = 8 * minOf(core.bytes.map((d) => d.length));
    bitBias = bitBiasOf(core.bytes, nominalBits);
    estimate = byteMinEntropy(core.bytes);
    perSampleBits = 8;
    possibleValues = 256;
  } else {
    const mapped = encoding === 'unknown' ? null : symbolsToBytes(core.strings, expected);
    if (mapped) {
      const bits = bytesToBits(mapped.bytes);
      bitsAnalyzed = bits.length;
      bitSource = mapped.source;
      const fips = fipsTests(bits, alpha);
      if (fips.length > 0) tests.push(...fips);
      else
        skipped.push({
          id: 'fips140-2',
          name: 'FIPS 140-2 tests',
          reason: `need 20,000 bits, have ${bits.length}`,
        });
      const nist = nistTests(bits, alpha);
      tests.push(...nist.tests);
      skipped.push(...nist.skipped);
    } else {
      skipped.push({
        id: 'bit-level',
        name: 'FIPS 140-2 and NIST SP 800-22 bit-level tests',
        reason: `the ${coreAlphabet.length}-symbol alphabet is not one the auditor knows, so it cannot be read as bits`,
      });
    }
    perSampleBits = bitsPerSymbol(encoding, expected.length);
    nominalBits = coreMinLen * perSampleBits;
    estimate = symbolMinEntropy(core.strings);
    possibleValues = expected.length;
  }
  const minEntropyPerBit = perSampleBits > 0 ? Math.min(1, estimate.minEntropy / perSampleBits) : 0;
  const effectiveEntropyBits = minEntropyPerBit * nominalBits;
  // The MCV estimate needs about ten observations per possible value before its confidence
  // bound stops dominating; below that it says more about the sample size than the generator.
  const estimateInformative = estimate.samples >= 10 * possibleValues;
  // Full entropy is only ruled out when the most common value is more common than a uniform
  // source would make it (P < 10⁻⁶); until then the verdict counts the nominal bits.
  const fullEntropyConsistent = uniformMaxPValue(estimate, possibleValues) >= 1e-6;

  const patterns: PatternFinding[] = [
    ...findDuplicates(sample),
    ...viewPatterns(
      raw === core ? [core] : [raw, core],
      nominalBits,
      options.now === undefined ? {} : { now: options.now },
    ),
  ];
  if (structure.prefix) {
    patterns.push({
      kind: 'constant-prefix',
      detail: `every token starts with ${JSON.stringify(structure.prefix)}, which carries no entropy`,
      affectsVerdict: false,
    });
  }
  const inner = structure.constantPositions.filter(
    (i) => i >= structure.prefix.length && i < length.min - structure.suffix.length,
  );
  const literalSuffix = structure.suffix !== '' && !/^=+$/.test(structure.suffix); // padding is no finding
  if (literalSuffix || inner.length > 0) {
    const parts: string[] = [];
    if (literalSuffix) parts.push(`every token ends with ${JSON.stringify(structure.suffix)}`);
    if (inner.length > 0) parts.push(`positions ${inner.join(', ')} never change`);
    if (!patterns.some((p) => p.kind === 'low-variance')) {
      patterns.push({
        kind: 'low-variance',
        detail: `${parts.join('; ')}; they carry no entropy`,
        affectsVerdict: false,
      });
    }
  }
  if (nominalBits < 128) {
    patterns.push({
      kind: 'short',
      detail: `the variable part carries at most ${Math.floor(nominalBits)} bits (128 recommended, 64 the minimum)`,
      affectsVerdict: nominalBits < 64,
    });
  }

  const assessedEntropyBits = fullEntropyConsistent ? nominalBits : effectiveEntropyBits;
  const verdict = decideVerdict({
    tests,
    patterns,
    effectiveEntropyBits: assessedEntropyBits,
    nominalBits,
    alpha,
  });
  const report: Omit<RandomnessReport, 'summary'> = {
    sampleSize: n,
    encoding,
    length,
    alphabet,
    alphabetSize: alphabet.length,
    bitsAnalyzed,
    ...(bitSource ? { bitSource } : {}),
    bitBias,
    positions,
    tests,
    minEntropyPerBit,
    effectiveEntropyBits,
    nominalBits,
    estimateInformative,
    fullEntropyConsistent,
    assessedEntropyBits,
    patterns,
    verdict,
    skipped,
    structure: {
      prefix: structure.prefix,
      suffix: structure.suffix,
      constantPositions: structure.constantPositions,
    },
  };
  return { ...report, summary: summarize(report, alpha) };
}
