/** HTML charts: colour by verdict, chance-aware outliers, no chart of nothing. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { analyzeTokens } from '../src/randomness/index.ts';
import { bitBiasChart, positionChart } from '../src/report/charts.ts';

test('random tokens: every bit-bias bar in the strong colour, no outlier by chance over 256 positions', () => {
  const r = analyzeTokens(Array.from({ length: 2000 }, () => randomBytes(32).toString('base64url')));
  const svg = bitBiasChart(r.bitBias, r.sampleSize, r.verdict);
  assert.equal(r.verdict, 'strong');
  assert.ok(!svg.includes('#f9a825') && !svg.includes('#c62828'), 'no outlier bar');
  assert.match(svg, /colour: verdict strong/);
});

test('a stuck bit is an outlier, red under a broken verdict', () => {
  const bias = Array.from({ length: 128 }, (_, i) => (i === 7 ? 0.9 : 0.5));
  assert.ok(bitBiasChart(bias, 2000, 'broken').includes('#c62828'));
});

test("the last base64 symbol's restricted alphabet is explained, not shown as bias", () => {
  // 32 bytes = 43 base64url symbols, the last carrying 4 bits (16 possible symbols)
  const r = analyzeTokens(Array.from({ length: 2000 }, () => randomBytes(32).toString('base64url')));
  const svg = positionChart(r.positions, 64);
  assert.match(svg, /only 16 possible: the last symbol carries fewer bits/);
  assert.match(svg, /by design, not bias/);
});
