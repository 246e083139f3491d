import type { SkippedTest, TestResult } from '../types.ts';
import { approximateEntropyTest } from './approximate-entropy.ts';
import { blockFrequencyTest } from './block-frequency.ts';
import { cusumTest } from './cusum.ts';
import { dftTest } from './dft.ts';
import { frequencyTest } from './frequency.ts';
import { longestRunTest } from './longest-run.ts';
import type { NistOutcome } from './outcome.ts';
import { runsTest } from './runs.ts';
import { serialTest } from './serial.ts';

/** Block length for the block-frequency test: 128 (the reference suite's default) once n ≥ 12,800. */
export function blockFrequencySize(n: number): number {
  return n >= 12_800 ? 128 : Math.max(20, Math.ceil(n / 100));
}

/** m for the approximate-entropy test: 10, or less so that m < ⌊log2 n⌋ − 5 (§2.12.7). */
export function approximateEntropyM(n: number): number {
  return Math.min(10, Math.floor(Math.log2(n)) - 6);
}

/** m for the serial test: 16, or less so that m < ⌊log2 n⌋ − 2 (§2.11.7). */
export function serialM(n: number): number {
  return Math.min(16, Math.floor(Math.log2(n)) - 3);
}

function result(id: string, name: string, o: NistOutcome, alpha: number): TestResult {
  return {
    id,
    name,
    standard: 'NIST SP 800-22',
    statistic: o.statistic,
    pValue: o.pValue,
    passed: o.pValue >= alpha,
    detail: o.detail,
  };
}

/**
 * Runs the SP 800-22 tests implemented here (frequency, block frequency, runs, longest run,
 * cumulative sums both ways, approximate entropy, serial with both P-values, DFT) with
 * parameters chosen from the sequence length. Tests whose minimum length is not met are listed
 * in `skipped`.
 */
export function nistTests(bits: Uint8Array, alpha: number): { tests: TestResult[]; skipped: SkippedTest[] } {
  const n = bits.length;
  const tests: TestResult[] = [];
  const skipped: SkippedTest[] = [];
  const skip = (id: string, name: string, min: number): void => {
    skipped.push({ id, name, reason: `needs at least ${min} bits, have ${n}` });
  };
  if (n >= 100) {
    tests.push(result('nist-frequency', 'NIST frequency (monobit)', frequencyTest(bits), alpha));
    const m = blockFrequencySize(n);
    tests.push(result('nist-block-frequency', 'NIST block frequency', blockFrequencyTest(bits, m), alpha));
    tests.push(result('nist-runs', 'NIST runs', runsTest(bits), alpha));
    tests.push(
      result('nist-cusum-forward', 'NIST cumulative sums (forward)', cusumTest(bits, 'forward'), alpha),
    );
    tests.push(
      result('nist-cusum-backward', 'NIST cumulative sums (backward)', cusumTest(bits, 'backward'), alpha),
    );
    const sm = serialM(n);
    const s = serialTest(bits, sm);
    tests.push(
      result(
        'nist-serial-1',
        'NIST serial (∇ψ²)',
        { statistic: s.del1, pValue: s.p1, detail: `m=${sm}` },
        alpha,
      ),
    );
    tests.push(
      result(
        'nist-serial-2',
        'NIST serial (∇²ψ²)',
        { statistic: s.del2, pValue: s.p2, detail: `m=${sm}` },
        alpha,
      ),
    );
  } else {
    for (const [id, name] of [
      ['nist-frequency', 'NIST frequency (monobit)'],
      ['nist-block-frequency', 'NIST block frequency'],
      ['nist-runs', 'NIST runs'],
      ['nist-cusum', 'NIST cumulative sums'],
      ['nist-serial', 'NIST serial'],
    ] as const) {
      skip(id, name, 100);
    }
  }
  if (n >= 128)
    tests.push(result('nist-longest-run', 'NIST longest run of ones', longestRunTest(bits), alpha));
  else skip('nist-longest-run', 'NIST longest run of ones', 128);
  if (n >= 256) {
    const m = approximateEntropyM(n);
    tests.push(
      result('nist-approximate-entropy', 'NIST approximate entropy', approximateEntropyTest(bits, m), alpha),
    );
  } else skip('nist-approximate-entropy', 'NIST approximate entropy', 256);
  if (n >= 1000) tests.push(result('nist-dft', 'NIST discrete Fourier transform', dftTest(bits), alpha));
  else skip('nist-dft', 'NIST discrete Fourier transform', 1000);
  return { tests, skipped };
}
