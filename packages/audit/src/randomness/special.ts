/**
 * Special functions for the randomness tests.
 *
 * Methods (written from the textbook descriptions, not copied from any implementation):
 * - log Γ: Lanczos approximation with g = 7 and the nine classic coefficients (Godfrey's set),
 *   with the reflection formula below 1/2.
 * - Regularized incomplete gamma P(a, x) / Q(a, x): the power series for x < a + 1 and the
 *   continued fraction evaluated with the modified Lentz algorithm otherwise (the split used by
 *   Numerical Recipes, ch. 6.2), the prefactor computed in log space.
 * - erfc(x) = Q(1/2, x²) for x ≥ 0, and 2 − erfc(−x) for x < 0; Φ(z) = erfc(−z/√2) / 2.
 */

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const EPS = 1e-15;
const TINY = 1e-300;
const MAX_ITER = 100_000;

/** Natural logarithm of the gamma function, for x > 0 (and non-integer x ≤ 0 via reflection). */
export function lgamma(x: number): number {
  if (x < 0.5) {
    // Γ(x) Γ(1 − x) = π / sin(πx)
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  }
  const z = x - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** log of x^a e^(−x) / Γ(a), the common prefactor of both expansions. */
function logPrefactor(a: number, x: number): number {
  return a * Math.log(x) - x - lgamma(a);
}

/** Series for P(a, x); converges quickly for x < a + 1. */
function igamSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  let denom = a;
  for (let i = 0; i < MAX_ITER; i++) {
    denom += 1;
    term *= x / denom;
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPS) break;
  }
  return sum * Math.exp(logPrefactor(a, x));
}

/** Continued fraction for Q(a, x) (modified Lentz); converges quickly for x ≥ a + 1. */
function igamcFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.exp(logPrefactor(a, x)) * h;
}

/** Regularized lower incomplete gamma P(a, x) = γ(a, x) / Γ(a), a > 0, x ≥ 0. */
export function igam(a: number, x: number): number {
  if (!(a > 0) || Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 0;
  if (x === Number.POSITIVE_INFINITY) return 1;
  return x < a + 1 ? igamSeries(a, x) : 1 - igamcFraction(a, x);
}

/** Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a) = 1 − P(a, x), a > 0, x ≥ 0. */
export function igamc(a: number, x: number): number {
  if (!(a > 0) || Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  return x < a + 1 ? 1 - igamSeries(a, x) : igamcFraction(a, x);
}

/** Complementary error function erfc(x) = 1 − erf(x). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return 2 - erfc(-x);
  return igamc(0.5, x * x);
}

/** Standard normal cumulative distribution function Φ(z). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Upper tail of the chi-square distribution with `df` degrees of freedom: P(X ≥ chi2). */
export function chiSquareSf(chi2: number, df: number): number {
  return igamc(df / 2, chi2 / 2);
}

/** Upper tail of the binomial distribution: P(X ≥ k) for X ~ Bin(n, p). */
export function binomialSf(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  // P(X ≥ k) = I_p(k, n − k + 1); summing the pmf in log space is accurate enough for the
  // small n·p used here (block counts, test counts).
  let total = 0;
  const lnP = Math.log(p);
  const lnQ = Math.log1p(-p);
  const lnN = lgamma(n + 1);
  for (let i = k; i <= n; i++) {
    const term = Math.exp(lnN - lgamma(i + 1) - lgamma(n - i + 1) + i * lnP + (n - i) * lnQ);
    total += term;
    if (term < total * 1e-17 && i > n * p) break;
  }
  return Math.min(1, total);
}
