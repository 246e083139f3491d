import { minOf } from './util.ts';

/** The constant parts of a token sample: a shared prefix and suffix and constant positions. */
export interface TokenStructure {
  prefix: string;
  suffix: string;
  /** Raw positions (same-length samples only) whose character is the same in every token. */
  constantPositions: number[];
  /** Each token with the constant parts removed: what the statistics run on. */
  cores: string[];
  /** Raw positions kept in the cores, in order (same-length samples only; otherwise null). */
  corePositions: number[] | null;
}

/** Bits of evidence required before structure is taken as real rather than chance (2⁻²⁰). */
const SIGNIFICANCE_BITS = 20;

function commonPrefixLength(tokens: readonly string[]): number {
  const first = tokens[0] ?? '';
  let len = first.length;
  for (const t of tokens) {
    let i = 0;
    while (i < len && t[i] === first[i]) i++;
    len = i;
  }
  return len;
}

function commonSuffixLength(tokens: readonly string[], maxLen: number): number {
  const first = tokens[0] ?? '';
  let len = maxLen;
  for (const t of tokens) {
    let i = 0;
    while (i < len && t[t.length - 1 - i] === first[first.length - 1 - i]) i++;
    len = i;
  }
  return len;
}

/**
 * Finds the constant structure of a sample. A shared run of L characters among n tokens over an
 * alphabet of k symbols happens by chance with probability k^(−L(n−1)); it counts as structure
 * only when that is below 2⁻²⁰, so small samples of random tokens are left whole.
 */
export function extractStructure(tokens: readonly string[], alphabetSize: number): TokenStructure {
  const n = tokens.length;
  const none: TokenStructure = {
    prefix: '',
    suffix: '',
    constantPositions: [],
    cores: [...tokens],
    corePositions: null,
  };
  if (n < 2) return none;
  const bitsPerChar = Math.log2(Math.max(2, alphabetSize));
  const significant = (len: number): boolean => len * (n - 1) * bitsPerChar >= SIGNIFICANCE_BITS;
  const minLen = minOf(tokens.map((t) => t.length));
  let pre = commonPrefixLength(tokens);
  if (pre >= minLen) pre = 0; // identical (or prefix-of-each-other) tokens: leave for the duplicate check
  if (!significant(pre)) pre = 0;
  let suf = commonSuffixLength(tokens, minLen - pre);
  if (suf >= minLen - pre || !significant(suf)) suf = 0;
  const sameLength = tokens.every((t) => t.length === minLen);
  const constantPositions: number[] = [];
  for (let i = 0; i < pre; i++) constantPositions.push(i);
  let corePositions: number[] | null = null;
  if (sameLength) {
    corePositions = [];
    const first = tokens[0]!;
    for (let i = pre; i < minLen - suf; i++) {
      const ch = first[i];
      const constant = significant(1) && tokens.every((t) => t[i] === ch);
      if (constant) constantPositions.push(i);
      else corePositions.push(i);
    }
    for (let i = minLen - suf; i < minLen; i++) constantPositions.push(i);
    // Keep the cores non-empty: a sample whose every position is constant is all duplicates.
    if (corePositions.length === 0) return none;
  }
  const cores = corePositions
    ? tokens.map((t) => corePositions.map((i) => t[i]).join(''))
    : tokens.map((t) => t.slice(pre, t.length - suf));
  return {
    prefix: tokens[0]!.slice(0, pre),
    suffix: suf > 0 ? tokens[0]!.slice(-suf) : '',
    constantPositions,
    cores,
    corePositions,
  };
}
