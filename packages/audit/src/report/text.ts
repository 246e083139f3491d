import type { AuditReport } from '../audit.ts';
import { type Finding, SEVERITIES, type Severity } from '../findings.ts';

/** Shared wording for the Markdown and HTML reports. */

export const SEVERITY_LABEL: Record<Severity, string> = {
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  info: 'Info',
};

/** One paragraph for the executive summary. */
export function executiveSummary(report: AuditReport): string {
  const c = report.counts;
  const total = report.findings.length;
  const errors = report.checks.filter((ch) => ch.status === 'error').length;
  const skipped = report.checks.filter((ch) => ch.status === 'skipped').length;
  // Counts that agree with the "Checks performed" table: every row is counted, skipped ones named.
  const ran = `${report.checks.length - skipped} of ${report.checks.length} session-management checks${skipped ? ` (${skipped} skipped)` : ''}`;
  if (total === 0) {
    return (
      `The audit of ${report.target} ran ${ran} and found no weakness. ` +
      (errors > 0 ? `${errors} check(s) could not complete; see "Checks performed". ` : '') +
      'Session tokens, cookies, login, logout and cross-site requests behaved as the OWASP testing guide expects.'
    );
  }
  const worst = SEVERITIES.find((s) => c[s] > 0) ?? 'info';
  const parts = SEVERITIES.filter((s) => c[s] > 0).map((s) => `${c[s]} ${s}`);
  const top = report.findings
    .filter((f) => f.severity === worst)
    .slice(0, 3)
    .map((f) => f.title.toLowerCase());
  const risk =
    worst === 'high'
      ? 'An attacker can realistically take over or act within user sessions; fix the high-severity findings before release.'
      : worst === 'medium'
        ? 'No direct session takeover was found, but the findings weaken the defences that prevent one.'
        : 'Only hardening issues were found.';
  return (
    `The audit of ${report.target} ran ${ran} and found ${total} issue${total === 1 ? '' : 's'} (${parts.join(', ')}). ` +
    `The most serious: ${top.join('; ')}. ${risk}` +
    (errors > 0 ? ` ${errors} check(s) could not complete; see "Checks performed".` : '')
  );
}

/** "ASVS V3.3.1 · WSTG-SESS-02 · CWE-614 · STRIDE: Information disclosure" */
export function mappingLine(f: Finding): string {
  const m = f.mapping;
  const parts = [
    m.asvs.length ? `ASVS 5.0 ${m.asvs.join(', ')}` : '',
    m.wstg.join(', '),
    m.cwe.map((c) => `CWE-${c}`).join(', '),
    m.stride.length ? `STRIDE: ${m.stride.join(', ')}` : '',
    m.zap?.length ? `ZAP rule ${m.zap.join(', ')}` : '',
  ];
  return parts.filter(Boolean).join(' · ');
}

/** Distinct recommendations in severity order, each with the findings it addresses. */
export function recommendations(report: AuditReport): Array<{ text: string; findings: string[] }> {
  const out = new Map<string, string[]>();
  for (const f of report.findings) {
    if (f.severity === 'info') continue;
    const list = out.get(f.recommendation) ?? [];
    list.push(f.title);
    out.set(f.recommendation, list);
  }
  return [...out].map(([text, findings]) => ({ text, findings }));
}

/** Formats a number for statistic/p-value tables. */
export function fmtNumber(x: number | null): string {
  if (x === null) return 'n/a';
  if (x === 0) return '0';
  return Math.abs(x) >= 10_000 || Math.abs(x) < 0.0001
    ? x.toExponential(3)
    : Number(x.toPrecision(5)).toString();
}
