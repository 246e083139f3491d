import type { PatternFinding } from './types.ts';

/** Options of the pattern detectors. */
export interface PatternOptions {
  /** "Now" in ms since the epoch, for the timestamp detector (default Date.now()). */
  now?: number;
}

/** Findings for tokens that occur more than once in the sample. */
export function findDuplicates(tokens: readonly string[]): PatternFinding[] {
  const seen = new Map<string, number>();
  for (const t of tokens) seen.set(t, (seen.get(t) ?? 0) + 1);
  let values = 0;
  let extra = 0;
  for (const c of seen.values()) {
    if (c > 1) {
      values++;
      extra += c - 1;
    }
  }
  if (values === 0) return [];
  return [
    {
      kind: 'duplicate',
      detail: `${extra} of ${tokens.length} tokens repeat an earlier one (${values} distinct values seen more than once)`,
      affectsVerdict: true,
    },
  ];
}

/**
 * Checks integer values of the tokens (in sample order) for counters and clustering:
 * - 'sequential' when the values rise (or fall) far more often than a random order allows
 *   (ascents z-score ≥ 4.5: ten tokens all rising is enough), or when the typical step between
 *   consecutive tokens is below 2⁻²⁰ of the range the variable part can span;
 * - 'low-variance' when all values lie within 2⁻¹⁶ of that range.
 * `rangeBits` is the bit width of the variable part (constant prefixes add no variance); the
 * two range-based checks need 3 or more tokens and a range of at least 24 bits.
 */
export function findNumericPatterns(
  values: readonly bigint[],
  rangeBits: number,
  label: string,
): PatternFinding[] {
  const n = values.length;
  if (n < 3) return [];
  const out: PatternFinding[] = [];
  let up = 0;
  let down = 0;
  const steps: bigint[] = [];
  for (let i = 1; i < n; i++) {
    const d = values[i]! - values[i - 1]!;
    if (d > 0n) up++;
    else if (d < 0n) down++;
    steps.push(d < 0n ? -d : d);
  }
  steps.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const median = steps[Math.floor((steps.length - 1) / 2)]!;
  const m = up + down;
  const z = m >= 4 ? (up - m / 2) / Math.sqrt((m + 2) / 12) : 0;
  const ranged = rangeBits >= 24;
  const smallSteps = ranged && median > 0n && median < 1n << BigInt(Math.floor(rangeBits) - 20);
  if (Math.abs(z) >= 4.5 || smallSteps) {
    const dir = up >= down ? 'increase' : 'decrease';
    out.push({
      kind: 'sequential',
      detail: `${label} ${dir} in ${Math.max(up, down)} of ${n - 1} steps (median step ${median})`,
      affectsVerdict: true,
    });
  }
  if (!ranged) return out;
  let min = values[0]!;
  let max = values[0]!;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min;
  if (span < 1n << BigInt(Math.floor(rangeBits) - 16)) {
    const bits = span > 0n ? span.toString(2).length : 0;
    out.push({
      kind: 'low-variance',
      detail: `all ${n} ${label} lie within a range of 2^${bits}, where the variable part allows 2^${Math.floor(rangeBits)}`,
      affectsVerdict: true,
    });
  }
  return out;
}

const YEAR_MS = 365.25 * 24 * 3600 * 1000;
const MAX_SPREAD_MS = 2 * 24 * 3600 * 1000;

interface Window {
  where: string;
  unit: 's' | 'ms';
  values: number[];
}

function plausibleMs(v: number, unit: 's' | 'ms', now: number): number | null {
  const ms = unit === 's' ? v * 1000 : v;
  return ms >= now - 20 * YEAR_MS && ms <= now + 24 * 3600 * 1000 ? ms : null;
}

/**
 * Looks for the current unix time (seconds or milliseconds) embedded at the same place in at
 * least 90% (and at least 3) of the tokens, with all embedded times within two days of each
 * other: as decimal digits (10 or 13 digits), as hex characters (8, 11 or 12), or as big-endian
 * bytes of the decoded token (4 bytes of seconds; 6 or 8 bytes of milliseconds).
 */
export function findTimestamps(
  tokens: readonly string[],
  decoded: readonly Uint8Array[] | null,
  hexStrings: readonly string[] | null,
  options: PatternOptions = {},
  label = 'the token',
): PatternFinding[] {
  const n = tokens.length;
  if (n < 3) return [];
  const now = options.now ?? Date.now();
  const windows = new Map<string, Window>();
  const record = (key: string, where: string, unit: 's' | 'ms', ms: number | null): void => {
    if (ms === null) return;
    let w = windows.get(key);
    if (!w) {
      w = { where, unit, values: [] };
      windows.set(key, w);
    }
    w.values.push(ms);
  };
  for (const t of tokens) {
    for (const run of t.matchAll(/\d{10,}/g)) {
      const start = run.index ?? 0;
      const digits = run[0];
      for (const [len, unit] of [
        [10, 's'],
        [13, 'ms'],
      ] as const) {
        for (let i = 0; i + len <= digits.length; i++) {
          const at = start + i;
          const v = Number(digits.slice(i, i + len));
          record(
            `d${len}@${at}`,
            `decimal characters ${at}–${at + len - 1}`,
            unit,
            plausibleMs(v, unit, now),
          );
        }
      }
    }
  }
  hexStrings?.forEach((t) => {
    for (const [len, unit] of [
      [8, 's'],
      [11, 'ms'],
      [12, 'ms'],
    ] as const) {
      for (let i = 0; i + len <= t.length; i++) {
        const v = Number.parseInt(t.slice(i, i + len), 16);
        record(`h${len}@${i}`, `hex characters ${i}–${i + len - 1}`, unit, plausibleMs(v, unit, now));
      }
    }
  });
  decoded?.forEach((b) => {
    for (const [len, unit] of [
      [4, 's'],
      [6, 'ms'],
      [8, 'ms'],
    ] as const) {
      for (let i = 0; i + len <= b.length; i++) {
        let v = 0;
        for (let j = 0; j < len; j++) v = v * 256 + b[i + j]!;
        record(`b${len}@${i}`, `decoded bytes ${i}–${i + len - 1}`, unit, plausibleMs(v, unit, now));
      }
    }
  });
  const out: PatternFinding[] = [];
  for (const w of windows.values()) {
    if (w.values.length < Math.max(3, 0.9 * n)) continue;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const v of w.values) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (hi - lo > MAX_SPREAD_MS) continue;
    out.push({
      kind: 'timestamp',
      detail: `${w.values.length} of ${n} tokens embed the current unix time in ${w.unit === 's' ? 'seconds' : 'milliseconds'} at ${w.where} of ${label} (${new Date(lo).toISOString()} … ${new Date(hi).toISOString()})`,
      affectsVerdict: true,
    });
    break;
  }
  return out;
}
