import { decodeToken, detectEncoding, isBinaryEncoding } from './decode.ts';
import { findNumericPatterns, findTimestamps, type PatternOptions } from './patterns.ts';
import type { PatternFinding, TokenEncoding } from './types.ts';
import { minOf } from './util.ts';

/** One way of reading the tokens (whole, or with the constant structure removed). */
export interface TokenView {
  label: string;
  strings: readonly string[];
  encoding: TokenEncoding;
  /** Decoded bytes for binary encodings, else null. */
  bytes: Uint8Array[] | null;
}

/** Builds a view, decoding the strings when their alphabet is hex or base64(url). */
export function makeView(
  label: string,
  strings: readonly string[],
  encoding = detectEncoding(strings),
): TokenView {
  const bytes = isBinaryEncoding(encoding) ? strings.map((s) => decodeToken(s, encoding)) : null;
  return { label, strings, encoding, bytes };
}

function bytesToBigInt(b: Uint8Array): bigint {
  let hex = '';
  for (let i = 0; i < b.length; i++) hex += b[i]!.toString(16).padStart(2, '0');
  return hex ? BigInt(`0x${hex}`) : 0n;
}

/**
 * The tokens of a view read as big-endian integers: decimal and hex strings whole (a counter
 * may grow a digit), base64 by the bytes every token has (so that tokens of different lengths
 * compare by their leading bytes, not by their length).
 */
export function numericValues(view: TokenView): bigint[] | null {
  const maxLen = view.strings.reduce((m, s) => Math.max(m, s.length), 0);
  if (view.encoding === 'decimal') return maxLen > 200 ? null : view.strings.map((s) => BigInt(s));
  if (view.encoding === 'hex') return maxLen > 200 ? null : view.strings.map((s) => BigInt(`0x${s}`));
  if (!view.bytes) return null;
  const common = minOf(view.bytes.map((b) => b.length));
  return view.bytes.map((b) => bytesToBigInt(b.subarray(0, common)));
}

/**
 * Sequential, clustered and timestamp findings over several views, one finding per kind (the
 * first view that shows it). Reading the whole token matters for counters with a constant
 * high part; reading the variable part matters for a counter behind a literal prefix.
 * `rangeBits` is the bit width of the variable part, the range a random token would span.
 */
export function viewPatterns(
  views: readonly TokenView[],
  rangeBits: number,
  options: PatternOptions,
): PatternFinding[] {
  const out = new Map<PatternFinding['kind'], PatternFinding>();
  for (const view of views) {
    const num = numericValues(view);
    const found = [
      ...(num ? findNumericPatterns(num, rangeBits, `values of ${view.label}`) : []),
      ...findTimestamps(
        view.strings,
        view.bytes,
        view.encoding === 'hex' ? view.strings : null,
        options,
        view.label,
      ),
    ];
    for (const f of found) if (!out.has(f.kind)) out.set(f.kind, f);
  }
  return [...out.values()];
}
