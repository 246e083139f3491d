import { createHash } from 'node:crypto';

/** A token as sampled, with the wall-clock window in which the server issued it. */
export interface TokenSample {
  value: string;
  requestedAt: number;
  receivedAt: number;
  /** The server's `Date` header on the response that set the token (ms, second resolution). */
  serverDate?: number;
}

/** Something that makes tokens guessable, found without statistics. */
export interface Predictability {
  kind: 'sequential' | 'timestamp' | 'timestamp-hash' | 'duplicate';
  detail: string;
}

function asInteger(token: string): bigint | undefined {
  if (/^\d{1,40}$/.test(token)) return BigInt(token);
  if (/^[0-9a-f]{1,32}$/i.test(token)) return BigInt(`0x${token}`);
  return undefined;
}

/** Counters: all tokens read as integers and packed into a range no wider than 64 × their number. */
export function detectSequential(samples: readonly TokenSample[]): Predictability | undefined {
  const nums = samples.map((s) => asInteger(s.value));
  if (samples.length < 5 || nums.some((n) => n === undefined)) return undefined;
  const sorted = (nums as bigint[]).slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const min = sorted[0] as bigint;
  const max = sorted[sorted.length - 1] as bigint;
  const span = max - min;
  if (span > BigInt(samples.length) * 64n) return undefined;
  return {
    kind: 'sequential',
    detail: `all ${samples.length} tokens, read as integers, fall in a range of only ${span + 1n} values: they come from a counter`,
  };
}

/** Raw clocks: tokens that read as the issue time in milliseconds or seconds. */
export function detectTimestamp(samples: readonly TokenSample[]): Predictability | undefined {
  const probe = samples.slice(0, 50);
  if (probe.length === 0) return undefined;
  const day = 86_400_000;
  const hits = probe.filter((s) => {
    const n = asInteger(s.value);
    if (n === undefined) return false;
    const v = Number(n);
    return (
      (v >= s.requestedAt - day && v <= s.receivedAt + day) ||
      (v * 1000 >= s.requestedAt - day && v * 1000 <= s.receivedAt + day)
    );
  });
  if (hits.length < probe.length * 0.8) return undefined;
  return {
    kind: 'timestamp',
    detail: `${hits.length} of ${probe.length} tokens are the issue time itself (Unix epoch)`,
  };
}

const HASHES = ['md5', 'sha1', 'sha256', 'sha512'] as const;

function digests(input: string): string[] {
  return HASHES.flatMap((h) => {
    const d = createHash(h).update(input).digest();
    return [d.toString('hex'), d.toString('base64url'), d.toString('base64')];
  });
}

/**
 * Hashed clocks: for the first samples, hashes every millisecond (and second) of the request
 * window with MD5/SHA-1/SHA-256/SHA-512 and looks for the token among the digests.
 */
export function detectTimestampHash(
  samples: readonly TokenSample[],
  slackMs = 5,
): Predictability | undefined {
  const probe = samples.slice(0, 10);
  let hits = 0;
  let example = '';
  for (const s of probe) {
    const candidates = new Map<string, string>();
    for (let t = s.requestedAt - slackMs; t <= s.receivedAt + slackMs; t++) {
      candidates.set(String(t), `ms ${t}`);
      candidates.set(String(Math.floor(t / 1000)), `s ${Math.floor(t / 1000)}`);
    }
    const token = s.value.toLowerCase().replace(/=+$/, '');
    for (const [input, label] of candidates) {
      if (digests(input).some((d) => d.toLowerCase().replace(/=+$/, '') === token)) {
        hits++;
        example ||= `hash of the issue time (${label.split(' ')[0] === 'ms' ? 'milliseconds' : 'seconds'})`;
        break;
      }
    }
  }
  if (hits === 0) return undefined;
  return { kind: 'timestamp-hash', detail: `${hits} of ${probe.length} tokens checked equal a ${example}` };
}

/** Tokens handed out twice. */
export function detectDuplicates(samples: readonly TokenSample[]): Predictability | undefined {
  const seen = new Set<string>();
  let dups = 0;
  for (const s of samples) {
    if (seen.has(s.value)) dups++;
    seen.add(s.value);
  }
  if (dups === 0) return undefined;
  return {
    kind: 'duplicate',
    detail: `${dups} of ${samples.length} freshly issued tokens duplicated an earlier one`,
  };
}

/** All heuristics, each at most once. */
export function detectPredictability(samples: readonly TokenSample[]): Predictability[] {
  return [
    detectSequential(samples),
    detectTimestamp(samples),
    detectTimestampHash(samples),
    detectDuplicates(samples),
  ].filter((p): p is Predictability => p !== undefined);
}
