/**
 * Mixed-radix FFT (Stockham autosort, decimation in frequency) for lengths whose prime factors
 * are all ≤ MAX_RADIX. Written from the textbook derivation: split the input index as
 * j + t·m (m = n/p) and the output index as p·k′ + k₀; each stage does the p-point DFTs over t,
 * multiplies by the twiddles w_n^(j·k₀), and hands m-point problems with p times the stride to
 * the next stage, so the result comes out in natural order.
 */

/** Largest prime factor allowed in a transform length. */
export const MAX_RADIX = 7;

/** Prime factors of n in ascending order. */
export function primeFactors(n: number): number[] {
  const out: number[] = [];
  let rest = n;
  for (let p = 2; p * p <= rest; p++) {
    while (rest % p === 0) {
      out.push(p);
      rest /= p;
    }
  }
  if (rest > 1) out.push(rest);
  return out;
}

/** Largest length ≤ n whose prime factors are all ≤ MAX_RADIX. */
export function smoothLengthAtMost(n: number): number {
  for (let m = n; m > 1; m--) {
    if ((primeFactors(m).at(-1) ?? 1) <= MAX_RADIX) return m;
  }
  return 1;
}

/** Radices in the order the stages use them: 4s first (pairs of 2s), then the rest ascending. */
function stageRadices(n: number): number[] {
  const factors = primeFactors(n);
  const twos = factors.filter((f) => f === 2).length;
  const out: number[] = new Array<number>(twos >> 1).fill(4);
  if (twos & 1) out.push(2);
  out.push(...factors.filter((f) => f !== 2));
  return out;
}

/**
 * In-place forward DFT X[k] = Σ x[t]·e^(−2πi·kt/n) of (re, im); n must be MAX_RADIX-smooth.
 * Uses one scratch pair of arrays and a table of the n-th roots of unity; radix 2 and 4 stages
 * have dedicated butterflies, 3, 5 and 7 use the direct p-point DFT.
 */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  if ((primeFactors(n).at(-1) ?? 1) > MAX_RADIX) {
    throw new RangeError(`FFT length ${n} has a prime factor > ${MAX_RADIX}`);
  }
  const cosT = new Float64Array(n);
  const sinT = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = (-2 * Math.PI * i) / n;
    cosT[i] = Math.cos(a);
    sinT[i] = Math.sin(a);
  }
  let xr: Float64Array = re;
  let xi: Float64Array = im;
  let yr: Float64Array = new Float64Array(n);
  let yi: Float64Array = new Float64Array(n);
  const wr = new Float64Array(MAX_RADIX);
  const wi = new Float64Array(MAX_RADIX);
  const accR = new Float64Array(MAX_RADIX);
  const accI = new Float64Array(MAX_RADIX);
  let len = n; // current sub-transform length
  let s = 1; // stride
  for (const p of stageRadices(n)) {
    const m = len / p;
    const rootStep = n / len; // w_len = w_n^(n/len)
    const pStep = n / p; // w_p = w_n^(n/p)
    for (let j = 0; j < m; j++) {
      for (let k0 = 0; k0 < p; k0++) {
        const w = ((j * k0) % len) * rootStep;
        wr[k0] = cosT[w]!;
        wi[k0] = sinT[w]!;
      }
      if (p === 2) {
        const c1 = wr[1]!;
        const s1 = wi[1]!;
        for (let q = 0; q < s; q++) {
          const a = q + s * j;
          const b = a + s * m;
          const ar = xr[a]!;
          const ai = xi[a]!;
          const br = xr[b]!;
          const bi = xi[b]!;
          const d0 = q + s * 2 * j;
          yr[d0] = ar + br;
          yi[d0] = ai + bi;
          const dr = ar - br;
          const di = ai - bi;
          yr[d0 + s] = dr * c1 - di * s1;
          yi[d0 + s] = dr * s1 + di * c1;
        }
      } else if (p === 4) {
        const c1 = wr[1]!;
        const s1 = wi[1]!;
        const c2 = wr[2]!;
        const s2 = wi[2]!;
        const c3 = wr[3]!;
        const s3 = wi[3]!;
        const sm = s * m;
        for (let q = 0; q < s; q++) {
          const i0 = q + s * j;
          const x0r = xr[i0]!;
          const x0i = xi[i0]!;
          const x1r = xr[i0 + sm]!;
          const x1i = xi[i0 + sm]!;
          const x2r = xr[i0 + 2 * sm]!;
          const x2i = xi[i0 + 2 * sm]!;
          const x3r = xr[i0 + 3 * sm]!;
          const x3i = xi[i0 + 3 * sm]!;
          // 4-point DFT: X0 = a+b, X2 = a−b, X1 = c − i·d, X3 = c + i·d
          const ar = x0r + x2r;
          const ai = x0i + x2i;
          const br = x1r + x3r;
          const bi = x1i + x3i;
          const cr = x0r - x2r;
          const ci = x0i - x2i;
          const dr = x1r - x3r;
          const di = x1i - x3i;
          const d0 = q + s * 4 * j;
          yr[d0] = ar + br;
          yi[d0] = ai + bi;
          const y1r = cr + di;
          const y1i = ci - dr;
          yr[d0 + s] = y1r * c1 - y1i * s1;
          yi[d0 + s] = y1r * s1 + y1i * c1;
          const y2r = ar - br;
          const y2i = ai - bi;
          yr[d0 + 2 * s] = y2r * c2 - y2i * s2;
          yi[d0 + 2 * s] = y2r * s2 + y2i * c2;
          const y3r = cr - di;
          const y3i = ci + dr;
          yr[d0 + 3 * s] = y3r * c3 - y3i * s3;
          yi[d0 + 3 * s] = y3r * s3 + y3i * c3;
        }
      } else {
        for (let q = 0; q < s; q++) {
          for (let k0 = 0; k0 < p; k0++) {
            let sr = 0;
            let si = 0;
            for (let t = 0; t < p; t++) {
              const src = q + s * (j + t * m);
              const w = ((t * k0) % p) * pStep;
              const c = cosT[w]!;
              const sn = sinT[w]!;
              sr += xr[src]! * c - xi[src]! * sn;
              si += xr[src]! * sn + xi[src]! * c;
            }
            accR[k0] = sr;
            accI[k0] = si;
          }
          for (let k0 = 0; k0 < p; k0++) {
            const dst = q + s * (p * j + k0);
            yr[dst] = accR[k0]! * wr[k0]! - accI[k0]! * wi[k0]!;
            yi[dst] = accR[k0]! * wi[k0]! + accI[k0]! * wr[k0]!;
          }
        }
      }
    }
    [xr, yr] = [yr, xr];
    [xi, yi] = [yi, xi];
    len = m;
    s *= p;
  }
  if (xr !== re) {
    re.set(xr);
    im.set(xi);
  }
}
