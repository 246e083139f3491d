import { ConfigError } from './errors.ts';

/** A duration: milliseconds, or a string such as `'30m'`, `'12h'`, `'5s'`, `'250ms'`, `'7d'`. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Parses a {@link Duration} to milliseconds; throws {@link ConfigError} naming `field` when invalid. */
export function parseDuration(value: unknown, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      throw new ConfigError(field, 'must be a non-negative number of milliseconds.');
    return value;
  }
  if (typeof value === 'string') {
    const m = PATTERN.exec(value.trim());
    if (m) return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
  }
  throw new ConfigError(
    field,
    `expected milliseconds or a string like '30m' (units ms, s, m, h, d), got ${JSON.stringify(value)}.`,
  );
}
