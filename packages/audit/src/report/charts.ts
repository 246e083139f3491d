import type { Severity } from '../findings.ts';
import { normalCdf } from '../randomness/special.ts';
import type { PositionStat } from '../token-analysis.ts';

/** Small inline SVG charts for the HTML report; no scripts, no external assets. */

export function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const SEVERITY_COLOUR: Record<Severity, string> = {
  high: '#c62828',
  medium: '#ef6c00',
  low: '#f9a825',
  info: '#607d8b',
};

/** Horizontal bars: findings per severity. */
export function severityChart(counts: Record<Severity, number>): string {
  const rows = (Object.keys(SEVERITY_COLOUR) as Severity[]).map((s) => ({ s, n: counts[s] }));
  const max = Math.max(1, ...rows.map((r) => r.n));
  const w = 320;
  const bar = 20;
  const h = rows.length * (bar + 6) + 4;
  const body = rows
    .map((r, i) => {
      const y = 2 + i * (bar + 6);
      const len = Math.round((r.n / max) * (w - 110));
      return `<text x="0" y="${y + 15}" font-size="12">${r.s}</text><rect x="60" y="${y}" width="${len}" height="${bar}" fill="${SEVERITY_COLOUR[r.s]}"/><text x="${66 + len}" y="${y + 15}" font-size="12">${r.n}</text>`;
    })
    .join('');
  return `<svg role="img" aria-label="Findings by severity" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" xmlns="http://www.w3.org/2000/svg">${body}</svg>`;
}

/** The |z| beyond which one of `n` positions is an outlier at family-wise α = 0.01 (Bonferroni). */
function criticalZ(n: number): number {
  const target = 0.01 / Math.max(1, n) / 2;
  let lo = 0;
  let hi = 10;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (1 - normalCdf(mid) > target) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * One bar per bit position: the share of ones minus ½ (0 is ideal). The dashed band is what
 * chance allows across all positions together (family-wise α = 0.01, Bonferroni), so a random
 * token shows no outlier by chance. Bars take the verdict's colour; outliers beyond the band
 * are red only when the verdict is not `strong`, else amber (noted, not held against it).
 */
export function bitBiasChart(
  bias: readonly number[],
  samples: number,
  verdict: 'strong' | 'weak' | 'broken' = 'strong',
): string {
  if (bias.length === 0 || samples <= 0) return '';
  const n = bias.length;
  const w = Math.min(900, Math.max(300, n * 3));
  const h = 120;
  const mid = h / 2;
  const z = criticalZ(n);
  const limit = (z * 0.5) / Math.sqrt(samples);
  const scale = Math.max(limit * 1.5, ...bias.map((b) => Math.abs(b - 0.5)));
  const bw = w / n;
  const px = (d: number) => (Math.abs(d) / scale) * (mid - 6);
  const base = verdict === 'strong' ? '#2e7d32' : verdict === 'weak' ? '#ef6c00' : '#c62828';
  const outlier = verdict === 'strong' ? '#f9a825' : '#c62828';
  const bars = bias
    .map((b, i) => {
      const d = b - 0.5;
      const len = px(d);
      const y = d >= 0 ? mid - len : mid;
      const colour = Math.abs(d) > limit ? outlier : base;
      return `<rect x="${(i * bw).toFixed(2)}" y="${y.toFixed(2)}" width="${Math.max(0.6, bw - 0.4).toFixed(2)}" height="${Math.max(0.5, len).toFixed(2)}" fill="${colour}"><title>bit ${i}: ${(b * 100).toFixed(2)}% ones</title></rect>`;
    })
    .join('');
  const band = px(limit);
  const lines = [mid - band, mid + band]
    .map(
      (y) =>
        `<line x1="0" y1="${y.toFixed(1)}" x2="${w}" y2="${y.toFixed(1)}" stroke="#999" stroke-dasharray="3 3"/>`,
    )
    .join('');
  return `<svg role="img" aria-label="Bit bias per bit position" width="${w}" height="${h + 16}" viewBox="0 0 ${w} ${h + 16}" xmlns="http://www.w3.org/2000/svg"><line x1="0" y1="${mid}" x2="${w}" y2="${mid}" stroke="#999"/>${lines}${bars}<text x="0" y="${h + 12}" font-size="11">bits 0…${n - 1}: share of ones − 50% · dashed: what chance allows over ${n} positions and ${samples} tokens (±${(limit * 100).toFixed(1)}%) · colour: verdict ${verdict}</text></svg>`;
}

/**
 * Per token position, the spread of symbol frequencies: a bar from the rarest to the commonest
 * symbol, and a tick at the uniform expectation. Positions whose χ² test fails (p < 0.01) are red.
 */
export function positionChart(positions: readonly PositionStat[], alphabetSize: number): string {
  if (positions.length === 0 || alphabetSize === 0) return '';
  const n = positions.length;
  const stats = positions.map((p) => {
    const counts = Object.values(p.counts);
    const total = counts.reduce((a, b) => a + b, 0);
    // A position that legitimately uses fewer symbols (the last base64 character of 32 bytes
    // carries 4 bits) passes its χ² test; its expectation is then over the symbols it uses.
    const k = p.distinct < alphabetSize && p.pValue >= 0.01 ? p.distinct : alphabetSize;
    const min = counts.length < k ? 0 : Math.min(...counts);
    return { p, total, min, max: Math.max(0, ...counts), expected: total / k };
  });
  const top = Math.max(1, ...stats.map((s) => s.max));
  const w = Math.min(900, Math.max(560, n * 10 + 40));
  const h = 140;
  const bw = (w - 40) / n;
  const y = (v: number) => 8 + (h - 16) * (1 - v / top);
  const bars = stats
    .map((s, i) => {
      const x = 36 + i * bw;
      // The last symbol of a base64 token legitimately uses fewer symbols: grey, explained below.
      const partial = s.p.categories < alphabetSize;
      const colour = s.p.pValue < 0.01 ? '#c62828' : partial ? '#9e9e9e' : '#1565c0';
      return (
        `<rect x="${x.toFixed(1)}" y="${y(s.max).toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${Math.max(1, y(s.min) - y(s.max)).toFixed(1)}" fill="${colour}" opacity="0.7"><title>position ${s.p.index}: ${s.p.distinct} symbols${s.p.categories < alphabetSize ? ` (only ${s.p.categories} possible: the last symbol carries fewer bits)` : ''}, counts ${s.min}–${s.max}, χ² p=${s.p.pValue.toPrecision(3)}</title></rect>` +
        `<line x1="${x.toFixed(1)}" x2="${(x + Math.max(1, bw - 2)).toFixed(1)}" y1="${y(s.expected).toFixed(1)}" y2="${y(s.expected).toFixed(1)}" stroke="#111"/>`
      );
    })
    .join('');
  return `<svg role="img" aria-label="Character distribution per token position" width="${w}" height="${h + 18}" viewBox="0 0 ${w} ${h + 18}" xmlns="http://www.w3.org/2000/svg"><text x="0" y="12" font-size="10">${top}</text><text x="0" y="${h - 6}" font-size="10">0</text>${bars}<text x="36" y="${h + 14}" font-size="11">positions 0…${n - 1} · bar: rarest…commonest symbol count · tick: uniform · red: χ² p &lt; 0.01${stats.some((x) => x.p.categories < alphabetSize) ? ' · grey: a last symbol that carries fewer bits (base64 of a byte length not divisible by 3), so it can take only some symbols — by design, not bias' : ''}</text></svg>`;
}
