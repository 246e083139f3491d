import type { Severity } from '../findings.ts';
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

/** One bar per bit position: the share of ones minus ½ (0 is ideal); ±scale chosen from the data. */
export function bitBiasChart(bias: readonly number[]): string {
  if (bias.length === 0) return '';
  const n = bias.length;
  const w = Math.min(900, Math.max(200, n * 3));
  const h = 120;
  const mid = h / 2;
  const scale = Math.max(0.05, ...bias.map((b) => Math.abs(b - 0.5)));
  const bw = w / n;
  const bars = bias
    .map((b, i) => {
      const d = b - 0.5;
      const len = (Math.abs(d) / scale) * (mid - 6);
      const y = d >= 0 ? mid - len : mid;
      const colour = Math.abs(d) > 0.05 ? '#c62828' : '#1565c0';
      return `<rect x="${(i * bw).toFixed(2)}" y="${y.toFixed(2)}" width="${Math.max(0.6, bw - 0.4).toFixed(2)}" height="${Math.max(0.5, len).toFixed(2)}" fill="${colour}"><title>bit ${i}: ${(b * 100).toFixed(2)}% ones</title></rect>`;
    })
    .join('');
  return `<svg role="img" aria-label="Bit bias per bit position" width="${w}" height="${h + 16}" viewBox="0 0 ${w} ${h + 16}" xmlns="http://www.w3.org/2000/svg"><line x1="0" y1="${mid}" x2="${w}" y2="${mid}" stroke="#999"/>${bars}<text x="0" y="${h + 12}" font-size="11">bit position 0…${n - 1}; bars: share of ones − 50% (full height = ±${(scale * 100).toFixed(1)}%)</text></svg>`;
}

/** Heat map: token position (x) × symbol (y), colour = count relative to the uniform expectation. */
export function positionChart(positions: readonly PositionStat[], alphabet: string): string {
  if (positions.length === 0 || alphabet.length === 0) return '';
  const symbols = [...alphabet].slice(0, 96);
  const cw = Math.max(4, Math.min(14, Math.floor(720 / positions.length)));
  const ch = Math.max(3, Math.min(8, Math.floor(400 / symbols.length)));
  const w = positions.length * cw + 20;
  const h = symbols.length * ch + 18;
  const cells: string[] = [];
  for (const [x, p] of positions.entries()) {
    const total = Object.values(p.counts).reduce((a, b) => a + b, 0);
    const expected = total / symbols.length || 1;
    for (const [y, sym] of symbols.entries()) {
      const n = p.counts[sym] ?? 0;
      const ratio = n / expected; // 1 = uniform
      const t = Math.max(0, Math.min(1, ratio / 2));
      const r = Math.round(255 * t);
      const b = Math.round(255 * (1 - t));
      cells.push(
        `<rect x="${20 + x * cw}" y="${y * ch}" width="${cw}" height="${ch}" fill="rgb(${r},${Math.round(80 + 100 * (1 - Math.abs(ratio - 1)))},${b})"><title>position ${p.index}, ${esc(sym)}: ${n}</title></rect>`,
      );
    }
  }
  return `<svg role="img" aria-label="Character distribution per token position" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" xmlns="http://www.w3.org/2000/svg">${cells.join('')}<text x="20" y="${h - 4}" font-size="11">position →  (rows: alphabet; blue = rarer, red = more frequent than uniform)</text></svg>`;
}
