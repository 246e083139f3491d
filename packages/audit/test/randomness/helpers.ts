// Deterministic pseudo-random bytes for tests that need a fixed input: SHA-256 in counter mode.
import { createHash } from 'node:crypto';

/** `n` bytes of SHA-256(seed ‖ counter) output, the same on every run. */
export function fixedBytes(seed: string, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let filled = 0;
  for (let counter = 0; filled < n; counter++) {
    const block = createHash('sha256').update(`${seed}:${counter}`).digest();
    const take = Math.min(block.length, n - filled);
    out.set(block.subarray(0, take), filled);
    filled += take;
  }
  return out;
}

/** `count` deterministic tokens of `bytes` bytes each, hex-encoded. */
export function fixedHexTokens(seed: string, count: number, bytes: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    Buffer.from(fixedBytes(`${seed}/${i}`, bytes)).toString('hex'),
  );
}
