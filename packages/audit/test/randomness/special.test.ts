import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  binomialSf,
  chiSquareSf,
  erfc,
  igam,
  igamc,
  lgamma,
  normalCdf,
} from '../../src/randomness/special.ts';

function close(actual: number, expected: number, rel = 1e-10): void {
  const err = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);
  assert.ok(err <= rel, `expected ${expected}, got ${actual} (relative error ${err})`);
}

test('lgamma matches log-factorials and Γ(1/2) = √π', () => {
  let logFact = 0;
  for (let n = 1; n <= 30; n++) {
    logFact += Math.log(n);
    close(lgamma(n + 1), logFact, 1e-13);
  }
  close(lgamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-13);
  close(lgamma(0.25), 1.2880225246980774, 1e-12);
});

test('erfc reference values (both signs, far tail)', () => {
  assert.equal(erfc(0), 1);
  close(erfc(0.5), 0.4795001221869535);
  close(erfc(1), 0.15729920705028513);
  close(erfc(-1), 1.8427007929497148);
  close(erfc(3), 2.209049699858544e-5);
  close(erfc(6), 2.1519736712498913e-17, 1e-9);
});

test('igamc: Q(1, x) = e^(−x), Q(1/2, x²) = erfc(x), P + Q = 1, edge cases', () => {
  for (const x of [0.01, 0.5, 1, 2, 10, 50]) close(igamc(1, x), Math.exp(-x), 1e-12);
  for (const x of [0.1, 0.7, 2.5]) close(igamc(0.5, x * x), erfc(x), 1e-12);
  for (const [a, x] of [
    [3, 1],
    [3, 7],
    [100, 90],
    [16384, 16500],
  ] as const) {
    close(igam(a, x) + igamc(a, x), 1, 1e-12);
  }
  assert.equal(igamc(2, 0), 1);
  assert.equal(igam(2, 0), 0);
  assert.ok(Number.isNaN(igamc(0, 1)));
});

test('chi-square upper tail at known critical values', () => {
  close(chiSquareSf(6.6348966010212145, 1), 0.01, 1e-9);
  close(chiSquareSf(3.841458820694124, 1), 0.05, 1e-9);
  close(chiSquareSf(23.209251158954356, 10), 0.01, 1e-9);
  close(chiSquareSf(30.577914166892498, 15), 0.01, 1e-9);
  // large df (serial test with m = 16): Wilson–Hilferty puts P(X ≥ df) just under 1/2
  const df = 32768;
  const p = chiSquareSf(df, df);
  const wh = 1 - normalCdf((1 - (1 - 2 / (9 * df))) / Math.sqrt(2 / (9 * df)));
  assert.ok(Math.abs(p - wh) < 1e-4, `${p} vs ${wh}`);
});

test('normal CDF at ±1.959964 and symmetry', () => {
  close(normalCdf(1.959963984540054), 0.975, 1e-12);
  close(normalCdf(-1.959963984540054), 0.025, 1e-10);
  assert.equal(normalCdf(0), 0.5);
});

test('binomial upper tail', () => {
  assert.equal(binomialSf(0, 10, 0.3), 1);
  assert.equal(binomialSf(11, 10, 0.3), 0);
  close(binomialSf(1, 1, 0.25), 0.25, 1e-12);
  close(binomialSf(2, 3, 0.5), 0.5, 1e-12);
  close(binomialSf(1, 256, 1e-4), 1 - (1 - 1e-4) ** 256, 1e-9);
});
