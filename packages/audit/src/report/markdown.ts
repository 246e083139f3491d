import type { AuditReport } from '../audit.ts';
import { SEVERITIES } from '../findings.ts';
import { asvsUrl, cweUrl, wstgUrl } from '../mappings.ts';
import { executiveSummary, fmtNumber, mappingLine, recommendations, SEVERITY_LABEL } from './text.ts';

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function fence(s: string): string {
  const ticks = s.includes('```') ? '````' : '```';
  return `${ticks}http\n${s}\n${ticks}`;
}

/**
 * The report as Markdown, in the order of the session-flaws template: executive summary,
 * then per finding description, impact, likelihood, steps to reproduce and recommendations.
 */
export function renderMarkdown(report: AuditReport): string {
  const out: string[] = [];
  out.push(`# Session management audit: ${report.target}`, '');
  out.push(
    `*${report.tool.name} ${report.tool.version} · ${report.startedAt} · ${(report.durationMs / 1000).toFixed(1)} s · ${report.requestsSent} requests · session cookie \`${report.sessionCookie ?? 'unknown'}\`${report.stack ? ` · stack: ${report.stack}` : ''}${samplingLine(report)}*`,
    '',
  );
  out.push('## Executive summary', '', executiveSummary(report), '');
  out.push('| Severity | Findings |', '|---|---|');
  for (const s of SEVERITIES) out.push(`| ${SEVERITY_LABEL[s]} | ${report.counts[s]} |`);
  out.push('');
  if (report.findings.length > 0) {
    out.push('| # | Severity | Finding | ASVS | WSTG | CWE |', '|---|---|---|---|---|---|');
    report.findings.forEach((f, i) => {
      out.push(
        `| F${i + 1} | ${SEVERITY_LABEL[f.severity]} | ${cell(f.title)} | ${f.mapping.asvs.join(', ')} | ${f.mapping.wstg.join(', ')} | ${f.mapping.cwe.map((c) => `CWE-${c}`).join(', ')} |`,
      );
    });
    out.push('');
  }
  out.push('## Checks performed', '', '| Check | Result | Notes |', '|---|---|---|');
  for (const c of report.checks)
    out.push(`| ${c.check} | ${c.status}: ${cell(c.summary)} | ${c.notes.map(cell).join('<br>')} |`);
  out.push('');

  report.findings.forEach((f, i) => {
    out.push(`## F${i + 1}. ${f.title} (${SEVERITY_LABEL[f.severity]})`, '');
    out.push(`*Rule \`${f.ruleId}\` · check \`${f.check}\` · ${mappingLine(f)}*`, '');
    out.push('### Description of the vulnerability', '', f.description, '');
    out.push('**Evidence**', '', ...f.evidence.map((e) => `- ${e}`), '');
    out.push('### Impact', '', f.impact, '');
    out.push('### Likelihood', '', f.likelihood, '');
    out.push('### Steps to reproduce', '');
    f.steps.forEach((s, j) => {
      out.push(`${j + 1}. ${s.action}`);
      if (s.request) out.push('', indent(fence(s.request)));
      if (s.response) out.push('', indent(s.request ? `Response:\n\n${fence(s.response)}` : s.response));
      out.push('');
    });
    out.push('### Recommendations for developers', '', f.recommendation, '');
    if (f.fix) out.push(`**How to fix in ${f.fix.stack}:** ${f.fix.hint}`, '');
    out.push(
      `References: ${[
        ...f.mapping.asvs.map((a) => `[ASVS ${a}](${asvsUrl(a)})`),
        ...f.mapping.wstg.map((w) => `[${w}](${wstgUrl(w)})`),
        ...f.mapping.cwe.map((c) => `[CWE-${c}](${cweUrl(c)})`),
      ].join(' · ')}`,
      '',
    );
  });

  if (report.randomness) {
    const r = report.randomness;
    out.push('## Token randomness', '');
    if (r.tokenStructure) out.push(`Analysed: ${r.tokenStructure}.`, '');
    if (r.bitSource) out.push(`Bits for the bit-level tests: ${r.bitSource}.`, '');
    out.push(
      `${r.sampleSize} tokens · encoding ${r.encoding} · length ${r.length.min}–${r.length.max} · alphabet ${r.alphabetSize} symbols · ${r.bitsAnalyzed} bits analysed · ` +
        `min-entropy ${r.minEntropyPerBit.toFixed(4)} bits/bit · entropy: ${Math.floor(r.nominalBits)} bits nominal, ${r.effectiveEntropyBits.toFixed(1)} by min-entropy estimate, ${r.assessedEntropyBits.toFixed(1)} assessed · verdict **${r.verdict}**`,
      '',
      r.summary,
      '',
      '| Test | Standard | Statistic | p-value | Result |',
      '|---|---|---|---|---|',
    );
    for (const t of r.tests)
      out.push(
        `| ${cell(t.name)} | ${t.standard} | ${fmtNumber(t.statistic)} | ${fmtNumber(t.pValue)} | ${t.passed ? 'pass' : '**fail**'} |`,
      );
    out.push('');
    if (r.patterns.length) out.push(...r.patterns.map((p) => `- pattern \`${p.kind}\`: ${p.detail}`), '');
  }

  const recs = recommendations(report);
  out.push('## Recommendations', '');
  if (recs.length === 0)
    out.push('Nothing to fix. Keep the audit in CI (`--fail-on medium`) so it stays that way.', '');
  for (const [i, r] of recs.entries()) out.push(`${i + 1}. ${r.text} *(${r.findings.join('; ')})*`);
  out.push('');
  return out.join('\n');
}

/** " · 4,000 tokens sampled in 8.0 s (500 requests/s)" */
export function samplingLine(report: AuditReport): string {
  const s = report.sampling;
  if (!s) return '';
  const rps = Math.round((s.requestsSent * 1000) / Math.max(1, s.durationMs));
  return ` · ${s.collected} tokens sampled in ${(s.durationMs / 1000).toFixed(1)} s (${rps} requests/s)`;
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => (l ? `   ${l}` : l))
    .join('\n');
}
