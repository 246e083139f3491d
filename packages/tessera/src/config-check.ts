/**
 * Small checks for option objects outside the engine's schema (the sweeper, the detector, the
 * OIDC receiver, the audit log): a typo or a wrong type is a {@link ConfigError} naming the key,
 * never silently ignored.
 * @internal
 */
import { ConfigError } from './errors.ts';

/** Throws naming `field.key` for the first key of `options` that is not in `known`. */
export function rejectUnknownKeys(options: unknown, known: readonly string[], field: string): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new ConfigError(field || '(options)', 'must be an object.');
  for (const key of Object.keys(options))
    if (!known.includes(key))
      throw new ConfigError(
        field ? `${field}.${key}` : key,
        `unknown option (expected one of ${known.join(', ')}).`,
      );
}

/** `value` when it is an integer in [min, max], else a ConfigError naming `field`. */
export function integerOption(
  value: unknown,
  field: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new ConfigError(
      field,
      max === Number.MAX_SAFE_INTEGER
        ? `must be an integer >= ${min}.`
        : `must be an integer from ${min} to ${max}.`,
    );
  return value;
}
