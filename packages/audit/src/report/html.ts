import type { AuditReport } from '../audit.ts';
import { SEVERITIES } from '../findings.ts';
import { asvsUrl, cweUrl, wstgUrl } from '../mappings.ts';
import { bitBiasChart, esc, positionChart, severityChart } from './charts.ts';
import { samplingLine } from './markdown.ts';
import { executiveSummary, fmtNumber, mappingLine, recommendations, SEVERITY_LABEL } from './text.ts';

/** Escapes, then renders `inline code` spans. */
function inline(s: string): string {
  return esc(s).replace(/`([^`]+)`/g, '<code>$1</code>');
}

const CSS = `body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.8em 0}td,th{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
pre{background:#f6f8fa;padding:.6em;overflow:auto;font-size:13px}.meta{color:#666}
.sev{display:inline-block;padding:0 .5em;border-radius:3px;color:#fff;font-size:.85em}
.high{background:#c62828}.medium{background:#ef6c00}.low{background:#f9a825;color:#222}.info{background:#607d8b}
.finding{border-left:4px solid #ddd;padding-left:1em;margin:1.5em 0}.fail{color:#c62828;font-weight:600}`;

/** The report as one self-contained HTML page (inline CSS and SVG, no scripts, no external assets). */
export function renderHtml(report: AuditReport): string {
  const o: string[] = [];
  const sev = (s: keyof typeof SEVERITY_LABEL) => `<span class="sev ${s}">${SEVERITY_LABEL[s]}</span>`;
  o.push(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Session management audit: ${esc(report.target)}</title><style>${CSS}</style></head><body>`,
  );
  o.push(`<h1>Session management audit: ${esc(report.target)}</h1>`);
  o.push(
    `<p class="meta">${esc(report.tool.name)} ${esc(report.tool.version)} · ${esc(report.startedAt)} · ${(report.durationMs / 1000).toFixed(1)} s · ${report.requestsSent} requests · session cookie <code>${esc(report.sessionCookie ?? 'unknown')}</code>${report.stack ? ` · stack: ${esc(report.stack)}` : ''}${esc(samplingLine(report))}</p>`,
  );
  o.push('<h2>Executive summary</h2>', `<p>${esc(executiveSummary(report))}</p>`);
  o.push('<table><tr><th>Severity</th><th>Findings</th></tr>');
  for (const s of SEVERITIES) o.push(`<tr><td>${sev(s)}</td><td>${report.counts[s]}</td></tr>`);
  // A chart of nothing says nothing: only when there are findings.
  o.push('</table>', report.findings.length > 0 ? severityChart(report.counts) : '');
  if (report.findings.length) {
    o.push(
      '<table><tr><th>#</th><th>Severity</th><th>Finding</th><th>ASVS</th><th>WSTG</th><th>CWE</th></tr>',
    );
    for (const [i, f] of report.findings.entries()) {
      o.push(
        `<tr><td><a href="#f${i + 1}">F${i + 1}</a></td><td>${sev(f.severity)}</td><td>${esc(f.title)}</td><td>${esc(f.mapping.asvs.join(', '))}</td><td>${esc(f.mapping.wstg.join(', '))}</td><td>${f.mapping.cwe.map((c) => `<a href="${cweUrl(c)}">CWE-${c}</a>`).join(', ')}</td></tr>`,
      );
    }
    o.push('</table>');
  }
  o.push('<h2>Checks performed</h2><table><tr><th>Check</th><th>Result</th><th>Notes</th></tr>');
  for (const c of report.checks)
    o.push(
      `<tr><td>${esc(c.check)}</td><td>${esc(`${c.status}: ${c.summary}`)}</td><td>${c.notes.map(esc).join('<br>')}</td></tr>`,
    );
  o.push('</table>');

  report.findings.forEach((f, i) => {
    o.push(`<section class="finding" id="f${i + 1}"><h2>F${i + 1}. ${esc(f.title)} ${sev(f.severity)}</h2>`);
    o.push(
      `<p class="meta">Rule <code>${esc(f.ruleId)}</code> · check <code>${esc(f.check)}</code> · ${esc(mappingLine(f))}</p>`,
    );
    o.push('<h3>Description of the vulnerability</h3>', `<p>${inline(f.description)}</p>`);
    o.push('<ul>', ...f.evidence.map((e) => `<li>${inline(e)}</li>`), '</ul>');
    o.push(
      '<h3>Impact</h3>',
      `<p>${esc(f.impact)}</p>`,
      '<h3>Likelihood</h3>',
      `<p>${esc(f.likelihood)}</p>`,
    );
    o.push('<h3>Steps to reproduce</h3><ol>');
    for (const s of f.steps) {
      o.push(`<li>${esc(s.action)}`);
      if (s.request) o.push(`<pre>${esc(s.request)}</pre>`);
      if (s.response) o.push(s.request ? `<pre>${esc(s.response)}</pre>` : `<p>${esc(s.response)}</p>`);
      o.push('</li>');
    }
    o.push('</ol>', '<h3>Recommendations for developers</h3>', `<p>${inline(f.recommendation)}</p>`);
    if (f.fix) o.push(`<p><strong>How to fix in ${esc(f.fix.stack)}:</strong> ${inline(f.fix.hint)}</p>`);
    const refs = [
      ...f.mapping.asvs.map((a) => `<a href="${asvsUrl(a)}">ASVS ${esc(a)}</a>`),
      ...f.mapping.wstg.map((w) => `<a href="${wstgUrl(w)}">${esc(w)}</a>`),
      ...f.mapping.cwe.map((c) => `<a href="${cweUrl(c)}">CWE-${c}</a>`),
    ];
    o.push(`<p class="meta">References: ${refs.join(' · ')}</p></section>`);
  });

  const r = report.randomness;
  if (r) {
    o.push('<h2>Token randomness</h2>');
    if (r.tokenStructure) o.push(`<p>Analysed: ${esc(r.tokenStructure)}.</p>`);
    if (r.bitSource) o.push(`<p>Bits for the bit-level tests: ${esc(r.bitSource)}.</p>`);
    o.push(
      `<p>${r.sampleSize} tokens · encoding ${esc(r.encoding)} · length ${r.length.min}–${r.length.max} · alphabet ${r.alphabetSize} symbols · ${r.bitsAnalyzed} bits analysed · min-entropy ${r.minEntropyPerBit.toFixed(4)} bits/bit · entropy: ${Math.floor(r.nominalBits)} bits nominal, ${r.effectiveEntropyBits.toFixed(1)} by min-entropy estimate, ${r.assessedEntropyBits.toFixed(1)} assessed · verdict <strong>${esc(r.verdict)}</strong></p><p>${esc(r.summary)}</p>`,
    );
    o.push('<h3>Character distribution per position</h3>', positionChart(r.positions, r.alphabetSize));
    o.push('<h3>Bit bias</h3>', bitBiasChart(r.bitBias, r.sampleSize));
    o.push('<table><tr><th>Test</th><th>Standard</th><th>Statistic</th><th>p-value</th><th>Result</th></tr>');
    for (const t of r.tests) {
      o.push(
        `<tr><td>${esc(t.name)}</td><td>${esc(t.standard)}</td><td>${fmtNumber(t.statistic)}</td><td>${fmtNumber(t.pValue)}</td><td${t.passed ? '>pass' : ' class="fail">fail'}</td></tr>`,
      );
    }
    o.push('</table>');
    if (r.patterns.length)
      o.push(
        '<ul>',
        ...r.patterns.map((p) => `<li><code>${esc(p.kind)}</code>: ${esc(p.detail)}</li>`),
        '</ul>',
      );
  }
  const recs = recommendations(report);
  o.push('<h2>Recommendations</h2>');
  if (recs.length === 0)
    o.push(
      '<p>Nothing to fix. Keep the audit in CI (<code>--fail-on medium</code>) so it stays that way.</p>',
    );
  else
    o.push(
      '<ol>',
      ...recs.map((x) => `<li>${inline(x.text)} <em>(${esc(x.findings.join('; '))})</em></li>`),
      '</ol>',
    );
  o.push('</body></html>');
  return `${o.join('\n')}\n`;
}
