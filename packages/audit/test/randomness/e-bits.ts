// The binary expansion of e, computed exactly with BigInt binary splitting of Σ 1/k!, for the
// reference results NIST publishes for its sample file data.e (the first 1,000,000 bits of e,
// starting with the integer part "10").

/** P/Q = Σ_{k=a+1..b} a!/k!, Q = (a+1)(a+2)…b. */
function split(a: number, b: number): [bigint, bigint] {
  if (b - a === 1) return [1n, BigInt(b)];
  const mid = (a + b) >> 1;
  const [p1, q1] = split(a, mid);
  const [p2, q2] = split(mid, b);
  return [p1 * q2 + p2, q1 * q2];
}

/** The first `n` bits of e (n ≥ 2), as 0/1 bytes. */
export function eBits(n: number): Uint8Array {
  let terms = 2;
  let log2Factorial = 1;
  while (log2Factorial < n + 64) {
    terms++;
    log2Factorial += Math.log2(terms);
  }
  const [p, q] = split(0, terms); // e − 1 = P/Q
  const scaled = ((p + q) << BigInt(n - 2)) / q; // ⌊e · 2^(n−2)⌋, n bits long
  const digits = scaled.toString(2);
  const bits = new Uint8Array(n);
  for (let i = 0; i < n; i++) bits[i] = digits.charCodeAt(i) - 48;
  return bits;
}
